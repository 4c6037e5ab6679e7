"""Contacts and their whole story."""
