"""Benchmarks of the image stage and the local stack (issue 6); see bench/README.md.

Run each from the repo root as `PYTHONPATH=. .venv/bin/python bench/<name>.py`.
"""
