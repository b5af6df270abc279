"""Rekognition DetectText and DetectLabels responses shaped as in the AWS API reference (Stubber also validates
them against botocore's service model): LINE and WORD detections tied by ParentId; labels with Parents, Aliases,
Categories and Instances; ImageProperties with quality, dominant colours, foreground and background."""

from __future__ import annotations

from typing import Any

# Shapes as documented for DetectText (TextDetection: DetectedText, Type, Id, ParentId, Confidence, Geometry).
DETECT_TEXT: dict[str, Any] = {
    "TextDetections": [
        {
            "DetectedText": "Hello world",
            "Type": "LINE",
            "Id": 0,
            "Confidence": 99.12,
            "Geometry": {
                "BoundingBox": {"Width": 0.5, "Height": 0.1, "Left": 0.1, "Top": 0.2},
                "Polygon": [
                    {"X": 0.1, "Y": 0.2},
                    {"X": 0.6, "Y": 0.2},
                    {"X": 0.6, "Y": 0.3},
                    {"X": 0.1, "Y": 0.3},
                ],
            },
        },
        {
            "DetectedText": "Second",
            "Type": "LINE",
            "Id": 1,
            "Confidence": 97.5,
            "Geometry": {"BoundingBox": {"Width": 0.3, "Height": 0.08, "Left": 0.1, "Top": 0.5}},
        },
        {
            "DetectedText": "Hello",
            "Type": "WORD",
            "Id": 2,
            "ParentId": 0,
            "Confidence": 99.5,
            "Geometry": {"BoundingBox": {"Width": 0.2, "Height": 0.1, "Left": 0.1, "Top": 0.2}},
        },
        {
            "DetectedText": "world",
            "Type": "WORD",
            "Id": 3,
            "ParentId": 0,
            "Confidence": 98.7,
            "Geometry": {"BoundingBox": {"Width": 0.25, "Height": 0.1, "Left": 0.35, "Top": 0.2}},
        },
        {
            "DetectedText": "Second",
            "Type": "WORD",
            "Id": 4,
            "ParentId": 1,
            "Confidence": 97.5,
            # Services report boxes that overhang the image a little: clamped into [0, 1].
            "Geometry": {"BoundingBox": {"Width": 0.3, "Height": 0.08, "Left": -0.01, "Top": 0.95}},
        },
    ],
    "TextModelVersion": "3.0",
}

_COLOR: dict[str, Any] = {
    "Red": 255,
    "Green": 255,
    "Blue": 255,
    "HexCode": "#ffffff",
    "CSSColor": "white",
    "SimplifiedColor": "white",
    "PixelPercent": 61.2,
}

# Shapes as documented for DetectLabels with GENERAL_LABELS + IMAGE_PROPERTIES.
DETECT_LABELS: dict[str, Any] = {
    "Labels": [
        {
            "Name": "Mobile Phone",
            "Confidence": 99.9,
            "Instances": [
                {
                    "BoundingBox": {"Width": 0.27, "Height": 0.86, "Left": 0.36, "Top": 0.09},
                    "Confidence": 99.9,
                    "DominantColors": [_COLOR],
                }
            ],
            "Parents": [{"Name": "Electronics"}, {"Name": "Phone"}],
            "Aliases": [{"Name": "Cell Phone"}],
            "Categories": [{"Name": "Technology and Computing"}],
        },
        {"Name": "Text", "Confidence": 88.0, "Instances": [], "Parents": [], "Categories": [{"Name": "Text"}]},
    ],
    "LabelModelVersion": "3.0",
    "ImageProperties": {
        "Quality": {"Brightness": 84.3, "Sharpness": 93.9, "Contrast": 71.0},
        "DominantColors": [_COLOR, {**_COLOR, "Red": 12, "Green": 34, "Blue": 56, "PixelPercent": 20.5}],
        "Foreground": {"Quality": {"Brightness": 75.1, "Sharpness": 90.0}, "DominantColors": [_COLOR]},
        "Background": {"Quality": {"Brightness": 90.2, "Sharpness": 80.0}, "DominantColors": [_COLOR]},
    },
}

# DetectModerationLabels (ModerationLabel: Confidence, Name, ParentName — "" at the top level —, TaxonomyLevel).
DETECT_MODERATION_LABELS: dict[str, Any] = {
    "ModerationLabels": [
        {"Confidence": 91.5, "Name": "Violence", "ParentName": "", "TaxonomyLevel": 1},
        {"Confidence": 88.125, "Name": "Weapons", "ParentName": "Violence", "TaxonomyLevel": 2},
    ],
    "ModerationModelVersion": "7.0",
    "ContentTypes": [],
}

# DetectFaces with Attributes=["DEFAULT"] (FaceDetail: BoundingBox, Confidence, Landmarks, Pose, Quality).
DETECT_FACES: dict[str, Any] = {
    "FaceDetails": [
        {
            "BoundingBox": {"Width": 0.12, "Height": 0.3, "Left": 0.61, "Top": 0.22},
            "Confidence": 99.98,
            "Landmarks": [{"Type": "eyeLeft", "X": 0.64, "Y": 0.31}],
            "Pose": {"Roll": 1.2, "Yaw": -3.4, "Pitch": 5.6},
            "Quality": {"Brightness": 80.1, "Sharpness": 92.3},
        },
        {"BoundingBox": {"Width": 0.1, "Height": 0.2, "Left": -0.02, "Top": 0.4}, "Confidence": 97.0},
    ]
}
