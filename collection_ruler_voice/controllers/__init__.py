from . import twilio
from . import voice
from . import zenvia
