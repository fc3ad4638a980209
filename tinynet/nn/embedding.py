"""Embedding: a learned lookup table of vectors, one row per token (word, class ...)."""
from __future__ import annotations

from typing import Any, Optional

import numpy as np

from ..tensor import Tensor, no_grad
from .._names import type_name
from . import init
from .functional.embedding import check_padding_idx, check_unsupported, embedding
from .module import Module
from .parameter import Parameter

__all__ = ["Embedding"]


class Embedding(Module):
    """``Embedding(num_embeddings, embedding_dim)``: integer indices of any shape ->
    vectors, output ``input.shape + (embedding_dim,)``; ``weight`` (num_embeddings,
    embedding_dim) ~ N(0, 1) as PyTorch.

    ``padding_idx``: that row starts at zeros and never gets a gradient (a "no token"
    index); ``max_norm``: looked-up rows are scaled down in place to at most that
    ``norm_type``-norm.  ``Embedding.from_pretrained(weights, freeze=True)`` wraps given
    vectors.
    """

    def __init__(self, num_embeddings: int, embedding_dim: int,
                 padding_idx: Optional[int] = None, max_norm: Optional[float] = None,
                 norm_type: float = 2.0, scale_grad_by_freq: bool = False, sparse: bool = False,
                 _weight: Any = None, _freeze: bool = False, device: Any = None,
                 dtype: Any = None) -> None:
        super().__init__()
        name = "Embedding"
        for what, v in (("num_embeddings", num_embeddings), ("embedding_dim", embedding_dim)):
            if isinstance(v, bool) or not isinstance(v, (int, np.integer)):
                raise TypeError(f"{name}: {what} must be an int, got {type_name(v)}")
            if v < 0:
                raise ValueError(f"{name}: {what} must be >= 0, got {v}")
        check_unsupported(name, scale_grad_by_freq, sparse)
        self.num_embeddings, self.embedding_dim = int(num_embeddings), int(embedding_dim)
        self.padding_idx = check_padding_idx(name, padding_idx, self.num_embeddings)
        self.max_norm = max_norm
        self.norm_type = norm_type
        self.scale_grad_by_freq = scale_grad_by_freq
        self.sparse = sparse
        if _weight is None:
            self.weight = Parameter(np.empty((self.num_embeddings, self.embedding_dim),
                                             dtype=np.float32), requires_grad=not _freeze)
            self.reset_parameters()
        else:
            w = _weight.array if isinstance(_weight, Tensor) else np.asarray(_weight)
            if w.shape != (self.num_embeddings, self.embedding_dim):
                raise ValueError(f"{name}: Shape of weight does not match num_embeddings and "
                                 f"embedding_dim: expected "
                                 f"{(self.num_embeddings, self.embedding_dim)}, got {w.shape}")
            self.weight = Parameter(w.copy(), requires_grad=not _freeze)
        self._place(device, dtype)

    def reset_parameters(self) -> None:
        """N(0, 1) values, the padding row zeroed (PyTorch's init)."""
        init.normal_(self.weight)
        if self.padding_idx is not None:
            with no_grad():
                self.weight.array[self.padding_idx] = 0
                self.weight._bump_version()

    def forward(self, input: Any) -> Tensor:
        return embedding(input, self.weight, self.padding_idx, self.max_norm, self.norm_type,
                         self.scale_grad_by_freq, self.sparse)

    @classmethod
    def from_pretrained(cls, embeddings: Any, freeze: bool = True,
                        padding_idx: Optional[int] = None, max_norm: Optional[float] = None,
                        norm_type: float = 2.0, scale_grad_by_freq: bool = False,
                        sparse: bool = False) -> "Embedding":
        """An Embedding holding ``embeddings`` (a 2-D Tensor, copied); ``freeze=True`` (the
        default) keeps them fixed (``weight.requires_grad`` False)."""
        if not isinstance(embeddings, (Tensor, np.ndarray)) or embeddings.ndim != 2:
            raise ValueError(f"Embedding.from_pretrained: Embeddings parameter is expected to "
                             f"be 2-dimensional, got "
                             f"{getattr(embeddings, 'shape', type_name(embeddings))}")
        rows, cols = embeddings.shape
        return cls(rows, cols, _weight=embeddings, _freeze=freeze, padding_idx=padding_idx,
                   max_norm=max_norm, norm_type=norm_type,
                   scale_grad_by_freq=scale_grad_by_freq, sparse=sparse)

    def extra_repr(self) -> str:
        s = f"{self.num_embeddings}, {self.embedding_dim}"
        if self.padding_idx is not None:
            s += f", padding_idx={self.padding_idx}"
        if self.max_norm is not None:
            s += f", max_norm={self.max_norm}"
        if self.norm_type != 2:
            s += f", norm_type={self.norm_type}"
        return s
