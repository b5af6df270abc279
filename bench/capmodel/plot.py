"""One PNG per scenario: arrivals, backlog, running tasks, latency p50/p99 over time (matplotlib, no display)."""

from __future__ import annotations

from pathlib import Path

import matplotlib

matplotlib.use("Agg")  # files only: no display on servers and in CI
import matplotlib.pyplot as plt

from bench.capmodel.sim import Result


def draw(result: Result, title: str, path: Path, latency_goal: float) -> None:
    hours = result.minutes[-1] > 180
    x = result.minutes / 60 if hours else result.minutes
    fig, axes = plt.subplots(4, 1, figsize=(9, 9), sharex=True)
    axes[0].plot(x, result.arrivals, lw=0.8)
    axes[0].set_ylabel("uploads / min")
    axes[1].plot(x, result.backlog, lw=0.8, color="tab:orange")
    axes[1].set_ylabel("visible messages")
    axes[2].step(x, result.running, where="post", lw=1, label="running")
    axes[2].step(x, result.desired, where="post", lw=1, ls="--", label="desired")
    axes[2].set_ylabel("worker tasks")
    axes[2].legend(loc="upper right")
    axes[3].plot(x, result.p50, lw=0.8, label="p50")
    axes[3].plot(x, result.p99, lw=0.8, label="p99")
    axes[3].axhline(latency_goal, color="grey", ls=":", label=f"goal {latency_goal:g} s")
    axes[3].set_ylabel("job latency s\n(completed that minute)")
    axes[3].set_yscale("log")
    axes[3].legend(loc="upper right")
    axes[3].set_xlabel("hours" if hours else "minutes")
    fig.suptitle(title, fontsize=10)
    fig.tight_layout()
    fig.savefig(path, dpi=80)
    plt.close(fig)
