"""Feedback: resolution reports, confirmations, rework, quality ratings and portal feedback.

Only the service shell exists so far (database with outbox and inbox, health check); its
domain arrives with issue #5.
"""
