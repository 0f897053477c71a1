/** @file
 * MediaPipe's face geometry metadata (`geometry_pipeline_metadata_landmarks.binarypb`): the
 * canonical 3D face mesh (468 vertices whose IDs are the face landmark IDs, with UVs and a
 * triangle list) and the weighted landmark basis the Procrustes pose solver uses.
 *
 * Canonical space (as MediaPipe defines it): units are centimetres, the face looks toward +z
 * (the nose tip has the largest z), +y is up (forehead), +x is the image right of a frontal
 * face, i.e. the person's own left (landmark 263, the person's left outer eye corner, has
 * x > 0). The origin lies inside the head, near the face's centre.
 *
 * The struct is immutable after loading and may be shared by any number of threads.
 */
#ifndef PA_TRACK_GEOMETRY_H
#define PA_TRACK_GEOMETRY_H

#include <stddef.h>
#include <stdint.h>

/** Canonical face mesh + Procrustes basis. All arrays are owned by the struct. */
struct pa_geometry {
    int input_source;   ///< 0 DEFAULT, 1 FACE_LANDMARK_PIPELINE, 2 FACE_DETECTION_PIPELINE
    int n_vertices;     ///< 468 in MediaPipe's file
    float *xyz;         ///< n_vertices × 3, canonical positions in cm
    float *uv;          ///< n_vertices × 2, texture coordinates in [0, 1] (v as stored)
    int n_triangles;    ///< 898 in MediaPipe's file
    uint32_t *tri;      ///< n_triangles × 3 vertex indices, each < n_vertices
    int n_basis;        ///< number of weighted landmarks in the Procrustes basis
    uint32_t *basis_id; ///< n_basis landmark IDs, each < n_vertices
    float *basis_w;     ///< n_basis weights, each finite and > 0
};

/**
 * Parse a serialized GeometryPipelineMetadata message.
 * @param bytes, size  the file's bytes (borrowed; not kept after the call)
 * @param name         names the data in log messages (e.g. the file name)
 * @param out          receives a new object to free with pa_geometry_destroy
 * @return 0; PA_EINVALDATA for corrupt or inconsistent data (wrong wire types, truncated
 *         fields, vertex buffer not a multiple of 5, indices out of range, non-finite
 *         values, non-positive weights, no mesh); PA_EUNSUPPORTED for a vertex or primitive
 *         type other than VERTEX_PT / TRIANGLE; PA_ENOMEM.
 */
int pa_geometry_load(const uint8_t *bytes, size_t size, const char *name, struct pa_geometry **out);

/** Read a whole file and parse it with pa_geometry_load. @return as above, or PA_ENOENT, PA_EIO. */
int pa_geometry_load_file(const char *path, struct pa_geometry **out);

/** Free a geometry (NULL is fine). */
void pa_geometry_destroy(struct pa_geometry *g);

#endif /* PA_TRACK_GEOMETRY_H */
