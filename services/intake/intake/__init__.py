"""Intake: owns the appeal record and its state history."""
