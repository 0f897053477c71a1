/** @file
 * SSD anchors of MediaPipe's face_detection_short_range graph.
 *
 * Algorithm digest (MediaPipe SsdAnchorsCalculator with the short-range options:
 * num_layers 4, strides {8, 16, 16, 16}, aspect_ratios {1.0}, interpolated scale 1.0,
 * fixed_anchor_size true, anchor offset 0.5, input 128×128): consecutive layers with the same
 * stride share one feature map; each layer contributes 2 anchors per cell (aspect ratio 1 and
 * the interpolated scale), so the 16×16 map (stride 8) has 2 per cell and the 8×8 map
 * (stride 16, three layers) has 6: 512 + 384 = 896. With fixed_anchor_size every anchor has
 * width = height = 1, so only the centres matter: ((x + 0.5) / fw, (y + 0.5) / fh).
 */
#include "track/detector.h"

void pa_detector_anchors(float anchors[PA_DETECTOR_ANCHORS][2])
{
    static const int strides[4] = {8, 16, 16, 16};
    int k = 0;
    for (int layer = 0; layer < 4;) {
        int last = layer;
        while (last < 4 && strides[last] == strides[layer])
            last++;
        int per_cell = 2 * (last - layer);
        int fm = 128 / strides[layer];
        for (int y = 0; y < fm; y++) {
            for (int x = 0; x < fm; x++) {
                for (int a = 0; a < per_cell; a++) {
                    anchors[k][0] = ((float)x + 0.5f) / (float)fm;
                    anchors[k][1] = ((float)y + 0.5f) / (float)fm;
                    k++;
                }
            }
        }
        layer = last;
    }
    PA_ASSERT(k == PA_DETECTOR_ANCHORS);
}
