from . import test_twilio
from . import test_voice
from . import test_zenvia
from . import test_i18n
