"""Webhooks: a job's outcome POSTed to the `callback_url` it was created with, signed with its key's secret.

`signature` signs and verifies (`Imgpipe-Signature`, Stripe's scheme), `addresses` vets where a callback may go
(SSRF), `delivery` makes one signed POST to a vetted, pinned address. The worker's dispatcher (worker/callbacks.py)
decides when, and how often, to try.
"""
