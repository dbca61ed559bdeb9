"""Inbound platform events: the raw-event store and the mapping of events to CRM updates."""
