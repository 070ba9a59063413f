/* sse_write: SSE framing for events tollgate writes itself. */
#include <string.h>

#include "relay/sse_write.h"

int sse_format_event(struct buf *out, const char *event, const char *data, size_t len)
{
    const char *p = data, *end = data + len;

    if (event && (strpbrk(event, "\r\n") || buf_printf(out, "event: %s\n", event) != 0))
        return -1;
    for (;;) {
        const char *e = p;

        while (e < end && *e != '\n' && *e != '\r')
            e++;
        if (buf_puts(out, "data: ") != 0 || buf_append(out, p, (size_t)(e - p)) != 0 ||
            buf_puts(out, "\n") != 0)
            return -1;
        if (e >= end)
            break;
        if (*e == '\r' && e + 1 < end && e[1] == '\n')
            e++;
        p = e + 1;
        if (p >= end) /* a final line break adds no empty data line */
            break;
    }
    return buf_puts(out, "\n");
}

int sse_format_comment(struct buf *out, const char *text)
{
    if (strpbrk(text, "\r\n"))
        return -1;
    return buf_printf(out, ": %s\n\n", text);
}
