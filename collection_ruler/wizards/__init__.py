from . import collection_ruler_apply
from . import collection_ruler_preview
from . import collection_letter_post
from . import collection_letter_print
