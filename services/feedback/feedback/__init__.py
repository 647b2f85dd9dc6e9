"""Feedback: the author's answer to a resolution (confirmation with a rating, rework, staff
archiving, reminders), the discussion on an appeal, and feedback about the portal.

See docs/feedback.md.
"""
