"""Ingest contacts from other tools: CSV exports of HubSpot, Salesforce, RD Station."""
