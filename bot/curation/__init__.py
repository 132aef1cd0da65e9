"""The curator loop: log what readers ask, report what the bot could not answer."""
