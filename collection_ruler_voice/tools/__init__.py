from . import twilio_voice
from . import zenvia_voice
