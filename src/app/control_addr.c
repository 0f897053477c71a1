/** @file
 * Address checks shared by the control server (control.c) and the configuration's
 * cross-field rules (config_args.c): kept apart from the server so the config code (and
 * its fuzzer) does not need libmicrohttpd.
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <string.h>

#include "app/control.h"

int pa_control_bind_is_loopback(const char *bind)
{
    struct in_addr a4;
    struct in6_addr a6;
    if (!bind || !strcmp(bind, "localhost"))
        return 1;
    if (inet_pton(AF_INET, bind, &a4) == 1)
        return (ntohl(a4.s_addr) >> 24) == 127;
    if (inet_pton(AF_INET6, bind, &a6) == 1)
        return IN6_IS_ADDR_LOOPBACK(&a6);
    return 0;
}
