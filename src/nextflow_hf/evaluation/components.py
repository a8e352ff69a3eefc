"""Connected components of a label image in plain numpy (no OpenCV or scipy): 4-connected runs of equal labels.

Union-find over all neighbouring pixel pairs at once: every round hooks the larger root of each joined pair onto the
smaller one and then compresses paths fully, until every pair shares its root. Rounds are few (logarithmic in the
component diameter in practice), each a handful of vectorised operations.
"""

import numpy as np


def label_components(labels: np.ndarray, background: int) -> tuple[np.ndarray, int]:
    """The 4-connected components of equal, non-`background` values of the `(H, W)` int array `labels`.

    Returns `(components, count)`: an `(H, W)` int array with each component numbered `0 … count - 1` (in raster
    order of their first pixel) and `-1` on background, and the number of components.
    """
    if labels.ndim != 2:
        raise ValueError(f"Expected a 2-D label image; got shape {labels.shape}.")
    height, width = labels.shape
    foreground = labels != background
    index = np.arange(height * width).reshape(height, width)
    same_right = foreground[:, :-1] & (labels[:, :-1] == labels[:, 1:])
    same_down = foreground[:-1, :] & (labels[:-1, :] == labels[1:, :])
    first = np.concatenate([index[:, :-1][same_right], index[:-1, :][same_down]])
    second = np.concatenate([index[:, 1:][same_right], index[1:, :][same_down]])
    parent = np.arange(height * width)
    while True:
        root_first, root_second = parent[first], parent[second]
        joined = root_first != root_second
        if not joined.any():
            break
        low = np.minimum(root_first[joined], root_second[joined])
        high = np.maximum(root_first[joined], root_second[joined])
        np.minimum.at(parent, high, low)
        while True:
            grandparent = parent[parent]
            if np.array_equal(grandparent, parent):
                break
            parent = grandparent
    roots = parent.reshape(height, width)[foreground]
    # Roots are the smallest flat index of their component, so sorting them numbers components in raster order.
    unique_roots, numbered = np.unique(roots, return_inverse=True)
    components = np.full((height, width), -1, dtype=np.int64)
    components[foreground] = numbered
    return components, len(unique_roots)
