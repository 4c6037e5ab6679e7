"""Personas: the buyer types both teams agree on, and matching a contact to one."""
