from . import test_schedule
from . import test_cron
from . import test_sms
from . import test_security
from . import test_i18n
