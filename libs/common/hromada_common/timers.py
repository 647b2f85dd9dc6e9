"""A nameko timer whose interval operators set in the service config."""
from __future__ import annotations

from nameko.timer import Timer


class ConfiguredTimer(Timer):
    """A nameko timer whose interval comes from the service config (``config_key``),
    so operators tune it in config.yml rather than in code."""

    def __init__(self, config_key: str, default: float, **kwargs):
        self.config_key = config_key
        super().__init__(interval=default, **kwargs)

    def setup(self):
        self.interval = float(self.container.config.get(self.config_key, self.interval))
        super().setup()


configured_timer = ConfiguredTimer.decorator
