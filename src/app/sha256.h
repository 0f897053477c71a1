/** @file
 * SHA-256 for the model installer: a thin wrapper over OpenSSL's EVP digest API, so that the
 * rest of the app never includes OpenSSL headers. Digests are reported as 64 lowercase hex
 * digits (the format of `sha256sum` and of models_manifest.inc).
 */
#ifndef PA_APP_SHA256_H
#define PA_APP_SHA256_H

#include <stddef.h>
#include <stdint.h>

/** Bytes of a hex digest string including its terminating NUL. */
#define PA_SHA256_HEX_SIZE 65

struct pa_sha256;

/** Start a digest. @return 0, PA_ENOMEM or PA_EEXTERNAL (OpenSSL failed; logged). */
int pa_sha256_create(struct pa_sha256 **out);
/** Hash n more bytes (n may be 0). @return 0 or PA_EEXTERNAL. */
int pa_sha256_update(struct pa_sha256 *h, const void *data, size_t n);
/**
 * Finish and write the digest as hex into hex[PA_SHA256_HEX_SIZE]. The object cannot be
 * updated afterwards. @return 0 or PA_EEXTERNAL.
 */
int pa_sha256_final_hex(struct pa_sha256 *h, char hex[PA_SHA256_HEX_SIZE]);
void pa_sha256_destroy(struct pa_sha256 *h);

/**
 * Hash a whole file. *size (may be NULL) gets its length in bytes.
 * @return 0; PA_ENOENT when the file does not exist (not logged: callers decide whether a
 *         missing file is an error); PA_EIO for other read errors (logged with the path).
 */
int pa_sha256_file(const char *path, char hex[PA_SHA256_HEX_SIZE], uint64_t *size);

#endif /* PA_APP_SHA256_H */
