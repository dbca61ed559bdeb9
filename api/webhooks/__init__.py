"""Signed platform webhooks: verify over the raw body, store before the 2xx, process in the worker."""
