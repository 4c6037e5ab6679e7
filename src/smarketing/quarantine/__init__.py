"""The quarantine: rejected input kept as received, with its reason, until replayed or discarded."""
