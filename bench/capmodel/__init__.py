"""The capacity model behind bench/capacity.py: Terraform's settings, AWS facts and prices, a simulation, plots."""
