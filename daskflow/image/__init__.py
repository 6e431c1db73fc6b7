"""TF1's ``tf.image``: resizing, crops and flips, colour spaces and adjustments, image metrics and filters, boxes
and codecs, on NHWC image batches (or HWC single images) chunked over the batch."""
from . import (boxes as _boxes, codecs as _codecs, color as _color, crop as _crop, metrics as _metrics,
               patches as _patches, resize as _resize)
from .boxes import *  # noqa: F401,F403
from .codecs import *  # noqa: F401,F403
from .color import *  # noqa: F401,F403
from .crop import *  # noqa: F401,F403
from .metrics import *  # noqa: F401,F403
from .patches import *  # noqa: F401,F403
from .resize import *  # noqa: F401,F403

from ..ops import image_jxl as _image_jxl, image_proposals as _image_proposals  # noqa: E402
from ..ops.registry import export_names as _export  # noqa: E402

__all__ = (_boxes.__all__ + _codecs.__all__ + _color.__all__ + _crop.__all__ + _metrics.__all__ + _patches.__all__
           + _resize.__all__ + _export("image", globals(), _image_jxl, _image_proposals))
