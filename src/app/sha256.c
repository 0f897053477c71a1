/** @file
 * SHA-256 over OpenSSL's EVP interface (EVP_DigestInit_ex / Update / Final_ex), which picks
 * the fastest implementation (SHA-NI, AVX2) at run time. Files are read in 64 KiB chunks.
 */
#include "app/sha256.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <unistd.h>

#include <openssl/evp.h>

#include "core/log.h"
#include "core/mem.h"

struct pa_sha256 {
    EVP_MD_CTX *ctx;
};

int pa_sha256_create(struct pa_sha256 **out)
{
    *out = NULL;
    struct pa_sha256 *h = pa_calloc(1, sizeof(*h));
    if (!h)
        return PA_ENOMEM;
    h->ctx = EVP_MD_CTX_new();
    if (!h->ctx || EVP_DigestInit_ex(h->ctx, EVP_sha256(), NULL) != 1) {
        pa_log_error("models", "OpenSSL: cannot initialise a SHA-256 digest");
        pa_sha256_destroy(h);
        return PA_EEXTERNAL;
    }
    *out = h;
    return 0;
}

int pa_sha256_update(struct pa_sha256 *h, const void *data, size_t n)
{
    if (n && EVP_DigestUpdate(h->ctx, data, n) != 1) {
        pa_log_error("models", "OpenSSL: SHA-256 update failed");
        return PA_EEXTERNAL;
    }
    return 0;
}

int pa_sha256_final_hex(struct pa_sha256 *h, char hex[PA_SHA256_HEX_SIZE])
{
    static const char digits[] = "0123456789abcdef";
    unsigned char md[EVP_MAX_MD_SIZE];
    unsigned int len = 0;
    if (EVP_DigestFinal_ex(h->ctx, md, &len) != 1 || len != 32) {
        pa_log_error("models", "OpenSSL: SHA-256 final failed");
        return PA_EEXTERNAL;
    }
    for (unsigned int i = 0; i < len; i++) {
        hex[2 * i] = digits[md[i] >> 4];
        hex[2 * i + 1] = digits[md[i] & 15];
    }
    hex[64] = '\0';
    return 0;
}

void pa_sha256_destroy(struct pa_sha256 *h)
{
    if (!h)
        return;
    EVP_MD_CTX_free(h->ctx);
    pa_free(h);
}

int pa_sha256_file(const char *path, char hex[PA_SHA256_HEX_SIZE], uint64_t *size)
{
    enum { CHUNK = 64 * 1024 };
    struct pa_sha256 *h = NULL;
    uint8_t *buf = NULL;
    uint64_t total = 0;
    int ret;

    int fd = open(path, O_RDONLY);
    if (fd < 0) {
        if (errno == ENOENT)
            return PA_ENOENT;
        pa_log_error("models", "%s: cannot open: %s", path, strerror(errno));
        return PA_EIO;
    }
    buf = pa_malloc(CHUNK);
    ret = buf ? pa_sha256_create(&h) : PA_ENOMEM;
    if (ret < 0)
        goto fail;
    for (;;) {
        ssize_t n = read(fd, buf, CHUNK);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0) {
            pa_log_error("models", "%s: read error: %s", path, strerror(errno));
            ret = PA_EIO;
            goto fail;
        }
        if (n == 0)
            break;
        if ((ret = pa_sha256_update(h, buf, (size_t)n)) < 0)
            goto fail;
        total += (uint64_t)n;
    }
    if ((ret = pa_sha256_final_hex(h, hex)) < 0)
        goto fail;
    if (size)
        *size = total;
fail:
    pa_sha256_destroy(h);
    pa_free(buf);
    close(fd);
    return ret;
}
