"""Living data without partner accounts: update campaigns, proposals, freshness per territory.

- ``tokens``: the personal link of a campaign mail (signed, expiring; names one message);
- ``mailer``: SMTP from ``RELAIS_SMTP_URL``, refusals kept per recipient;
- ``letter``: the French mail with the partner's current record;
- ``sending``: who is asked (``relais campaign send``), reminders, the bounce report;
- ``answers``: what a partner's link does (confirm, correct, unsubscribe);
- ``contributions``: what the admin's review queue applies (a correction, a new structure);
- ``freshness``: the share of recent records per département, and the oldest ones.
"""
