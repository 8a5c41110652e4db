from . import collection_channel_voice
from . import collection_provider
from . import collection_provider_message
from . import collection_ruler_step
