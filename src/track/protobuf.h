/** @file
 * A small, bounds-checked reader for the protobuf wire format (enough for MediaPipe's
 * .binarypb model metadata). It never allocates and never reads outside [data, data+size):
 * every malformed input gives PA_EINVALDATA.
 *
 *   struct pa_pb_reader r;
 *   struct pa_pb_field f;
 *   pa_pb_reader_init(&r, bytes, size);
 *   while ((ret = pa_pb_next(&r, &f)) > 0) {
 *       if (f.num == 2 && f.wire == PA_PB_LEN) ... parse f.data / f.len as a sub-message ...
 *   }
 *   if (ret < 0) ... corrupt ...
 *
 * Wire format reference: https://protobuf.dev/programming-guides/encoding/ (tags are
 * varint(field_number << 3 | wire_type); varints are at most 10 bytes; repeated scalars may
 * be "packed" into one LEN field or sent one value per field, and readers must accept both).
 */
#ifndef PA_TRACK_PROTOBUF_H
#define PA_TRACK_PROTOBUF_H

#include <stddef.h>
#include <stdint.h>

/** Wire types (the low 3 bits of a tag). */
enum pa_pb_wire {
    PA_PB_VARINT = 0,
    PA_PB_I64 = 1,
    PA_PB_LEN = 2,
    PA_PB_SGROUP = 3, ///< deprecated groups: pa_pb_next skips them whole
    PA_PB_EGROUP = 4,
    PA_PB_I32 = 5,
};

/** Cursor over one message's bytes (borrowed; they must outlive the reader). */
struct pa_pb_reader {
    const uint8_t *p;
    const uint8_t *end;
};

/** One decoded field. Pointers borrow the reader's bytes. */
struct pa_pb_field {
    uint32_t num;         ///< field number, 1 .. 2^29-1
    enum pa_pb_wire wire; ///< PA_PB_VARINT, PA_PB_I64, PA_PB_LEN or PA_PB_I32
    uint64_t u64;         ///< VARINT value, or the raw little-endian bits of I64 / I32
    const uint8_t *data;  ///< LEN payload (NULL for other wire types)
    size_t len;           ///< LEN payload size in bytes
};

/** Start reading `size` bytes at `data` (data may be NULL when size is 0). */
void pa_pb_reader_init(struct pa_pb_reader *r, const uint8_t *data, size_t size);

/**
 * Read one varint (at most 10 bytes; the 10th may only carry the top bit of a uint64).
 * @return 0, or PA_EINVALDATA (truncated or over-long).
 */
int pa_pb_read_varint(struct pa_pb_reader *r, uint64_t *out);

/**
 * Read the next field, skipping groups (wire types 3/4, nested up to 32 deep).
 * @return 1 with *f filled, 0 at the end of the message, PA_EINVALDATA on corrupt bytes
 *         (bad tag, field number 0, truncated value, a length that points past the end).
 */
int pa_pb_next(struct pa_pb_reader *r, struct pa_pb_field *f);

/** Read a field as uint32 (VARINT only). @return 0, or PA_EINVALDATA (wrong type, > 2^32-1). */
int pa_pb_get_u32(const struct pa_pb_field *f, uint32_t *out);

/** Read a field as float (I32 only). @return 0, or PA_EINVALDATA for another wire type. */
int pa_pb_get_f32(const struct pa_pb_field *f, float *out);

/**
 * Decode one occurrence of a `repeated float` field: either one I32 value or a packed LEN
 * payload of 4-byte values. With dst == NULL only counts. Otherwise writes at most `cap`
 * values. *n receives the number of values this field holds.
 * @return 0; PA_EINVALDATA for a wrong wire type, a packed length not a multiple of 4, or
 *         more values than `cap`.
 */
int pa_pb_repeated_f32(const struct pa_pb_field *f, float *dst, size_t cap, size_t *n);

/** The same for `repeated uint32`: one VARINT, or a packed LEN payload of varints. */
int pa_pb_repeated_u32(const struct pa_pb_field *f, uint32_t *dst, size_t cap, size_t *n);

#endif /* PA_TRACK_PROTOBUF_H */
