"""Gamification: points ledger, badges, ratings, leaderboards and rewards.

Only the service shell exists so far (database with outbox and inbox, health check); its
domain arrives with issue #6.
"""
