"""Inbound webhooks: POST /hooks/{source}, signed with HMAC-SHA256."""
