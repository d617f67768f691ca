"""Nynorsk dates and numbers are written as in bokmål (config/formats/nb): the same patterns."""

from config.formats.nb.formats import *  # noqa: F403
