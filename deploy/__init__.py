"""Checks the deploy workflow runs (stdlib only: GitHub's runners run them with their own python3, no install)."""
