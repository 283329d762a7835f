"""notify: Slack (webhook or bot token, one message updated from started to done), email over
SMTP with the right TLS mode, and a generic JSON webhook, in one step."""
