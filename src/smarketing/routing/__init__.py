"""Routing: who gets a new MQL (rules, pools, weighted round robin) and why."""
