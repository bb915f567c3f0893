"""Settings for bench/heartbeat.py: the production settings plus a plain "hello" view to compare against."""

from civlearn.settings import *  # noqa: F403

ROOT_URLCONF = "bench.heartbeat_urls"
