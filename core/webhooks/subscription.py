"""Which outcomes reach the webhooks' queue: the callbacks queue's SNS subscription filters on the attributes the
publisher sets (worker/stages/publish.py), so the dispatcher receives only outcomes it has a webhook to send for.

One definition for the local stack (core/provision.py) and the Terraform module (callbacks.tf states the same
policy; tests/terraform checks that they agree).
"""

from __future__ import annotations

# Set on every outcome's message: "true" when its job has a callback_url, "false" when not.
HAS_CALLBACK = "has_callback"

# Ended jobs with a webhook: most jobs have none, and without this filter every outcome cost the dispatcher a
# receive, a job read and a delete (bench/README.md, 4b). An outcome without the attribute, published by a worker
# older than it (during a rollout, or the sweeper of one), still passes: the dispatcher reads its job and decides.
CALLBACKS_FILTER_POLICY: dict[str, object] = {
    "status": ["completed", "failed"],
    "$or": [{HAS_CALLBACK: ["true"]}, {HAS_CALLBACK: [{"exists": False}]}],
}
