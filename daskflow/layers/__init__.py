"""TF1's ``tf.layers``: layer classes (``Dense``, ``Conv2D``, ``BatchNormalization``...) and their function forms
(``dense``, ``conv2d``, ``batch_normalization``...), whose variables are made with ``get_variable`` and named, shared
and collected as TF1's."""
from .base import InputSpec, Layer
from .convolutional import (Conv1D, Conv2D, Conv2DTranspose, Conv3D, Conv3DTranspose, SeparableConv1D,
                            SeparableConv2D, conv1d, conv2d, conv2d_transpose, conv3d, conv3d_transpose,
                            separable_conv1d, separable_conv2d)
from .core import Dense, Dropout, Flatten, dense, dropout, flatten
from .normalization import BatchNormalization, batch_normalization
from .pooling import (AveragePooling1D, AveragePooling2D, AveragePooling3D, MaxPooling1D, MaxPooling2D, MaxPooling3D,
                      average_pooling1d, average_pooling2d, average_pooling3d, max_pooling1d, max_pooling2d,
                      max_pooling3d)

__all__ = ["Layer", "InputSpec", "Dense", "Dropout", "Flatten", "Conv1D", "Conv2D", "Conv3D", "Conv2DTranspose",
           "Conv3DTranspose", "SeparableConv1D", "SeparableConv2D", "MaxPooling1D", "MaxPooling2D", "MaxPooling3D",
           "AveragePooling1D", "AveragePooling2D", "AveragePooling3D", "BatchNormalization", "dense", "dropout",
           "flatten", "conv1d", "conv2d", "conv3d", "conv2d_transpose", "conv3d_transpose", "separable_conv1d",
           "separable_conv2d", "max_pooling1d", "max_pooling2d", "max_pooling3d", "average_pooling1d",
           "average_pooling2d", "average_pooling3d", "batch_normalization"]
