/* call: one /v1 request being answered by the mock upstream. */
#ifndef TG_MOCK_CALL_H
#define TG_MOCK_CALL_H

#include <jansson.h>

#include "mock/controls.h"
#include "mock/http.h"

enum mock_endpoint {
    EP_CHAT,         /* POST /v1/chat/completions */
    EP_COMPLETIONS,  /* POST /v1/completions */
    EP_EMBEDDINGS,   /* POST /v1/embeddings */
    EP_MODELS,       /* GET /v1/models */
    EP_MESSAGES,     /* POST /v1/messages */
    EP_COUNT_TOKENS, /* POST /v1/messages/count_tokens */
    EP_RESPONSES,    /* POST /v1/responses */
    EP_COMPACT       /* POST /v1/responses/compact */
};

enum mock_dialect { DIALECT_OPENAI, DIALECT_ANTHROPIC };

struct mock_call {
    struct http_conn *conn;     /* borrowed from the connection thread */
    const struct http_req *req; /* borrowed from the connection thread */
    enum mock_endpoint ep;
    enum mock_dialect dialect;
    json_t *body;      /* owned: the parsed request body, NULL for GET */
    const char *model; /* borrowed from body, or a literal */
    int stream;        /* the body said "stream": true */
    int include_usage; /* stream_options.include_usage is true */
    int keep_alive;    /* the connection may serve another request */
    int reset;         /* close the connection with an RST */
    struct mock_controls ctl;
    struct mock_usage usage;
    char id[48];       /* response id */
    char item_id[48];  /* Responses: the message item id */
    long long created; /* Unix seconds */
    long long seq;     /* Responses: next sequence_number */
    int drip;          /* slow-drip the next event */
};

#endif
