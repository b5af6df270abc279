from __future__ import annotations

import pytest

from worker.crop import centered_box


@pytest.mark.parametrize(
    ("size", "target", "box"),
    [
        ((4000, 3000), (1, 1), (500, 0, 3500, 3000)),  # wide image, square crop: full height, centred
        ((3000, 4000), (1, 1), (0, 500, 3000, 3500)),  # tall image, square crop: full width, centred
        ((1920, 1080), (16, 9), (0, 0, 1920, 1080)),  # same aspect: the whole image
        ((1000, 10), (1, 1), (495, 0, 505, 10)),
    ],
)
def test_the_centred_box_is_the_largest_of_the_target_aspect(
    size: tuple[int, int], target: tuple[int, int], box: tuple[int, int, int, int]
) -> None:
    assert centered_box(size, *target) == box
