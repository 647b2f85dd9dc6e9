"""Hromada's shared library: the appeal lifecycle, event contracts and messaging plumbing.

Nothing in here knows about any one service's domain; services share only what travels
between them (states, events, typed errors) and how it travels (outbox, relay, consumers).
"""
