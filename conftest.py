# Tests run under eventlet, as the services do (nameko's pytest plugin no longer patches).
import warnings

warnings.filterwarnings("ignore", message="(?s).*Eventlet is deprecated")

import eventlet  # noqa: E402

eventlet.monkey_patch()

pytest_plugins = ["hromada_common.testing.infra"]
