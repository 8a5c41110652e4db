from . import collection_ruler_apply
