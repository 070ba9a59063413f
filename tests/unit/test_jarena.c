/* Unit tests for relay/jarena: jansson parses inside a begin/end pair come from the
 * thread's arena, give the same values as with malloc, and mix safely with values made
 * outside the pair, on several threads at once. */
#include <jansson.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>

#include "cu_main.h"
#include "relay/jarena.h"

static const char chunk[] = "{\"id\":\"chatcmpl-1\",\"object\":\"chat.completion.chunk\","
                            "\"choices\":[{\"index\":0,\"delta\":{\"content\":\"hello\"},"
                            "\"finish_reason\":null}],"
                            "\"usage\":{\"prompt_tokens\":12,\"completion_tokens\":34}}";

/* Parse chunk inside a pair; 1 if its values read back right. */
static int parse_in_pair(size_t *used)
{
    json_t *j, *u;
    int ok;

    jarena_begin();
    j = json_loads(chunk, 0, NULL);
    u = json_object_get(j, "usage");
    ok = json_integer_value(json_object_get(u, "prompt_tokens")) == 12 &&
         json_integer_value(json_object_get(u, "completion_tokens")) == 34 &&
         !strcmp(json_string_value(json_object_get(
                     json_object_get(json_array_get(json_object_get(j, "choices"), 0),
                                     "delta"),
                     "content")),
                 "hello");
    if (used)
        *used = jarena_used();
    json_decref(j);
    jarena_end();
    return ok;
}

static void test_jarena_parse_in_pair(void)
{
    size_t used = 0;

    jarena_install();
    CU_ASSERT_TRUE(parse_in_pair(&used));
    if (jarena_enabled())
        CU_ASSERT_TRUE(used > 0); /* the values came from the arena */
    CU_ASSERT_EQUAL(jarena_used(), 0);
    /* Again: the block is reused from its start. */
    CU_ASSERT_TRUE(parse_in_pair(&used));
}

static void test_jarena_outgrows_block(void)
{
    /* An array of 2,000 objects needs far more than the block: the rest is malloc'd and
     * freed normally. */
    json_t *big = json_array(), *j;
    char *text;
    size_t n;

    jarena_install();
    for (int i = 0; i < 2000; i++)
        json_array_append_new(big, json_pack("{s:i, s:s}", "i", i, "s", "some text"));
    text = json_dumps(big, JSON_COMPACT);
    CU_ASSERT_PTR_NOT_NULL_FATAL(text);
    jarena_begin();
    j = json_loads(text, 0, NULL);
    n = json_array_size(j);
    CU_ASSERT_EQUAL(n, 2000);
    CU_ASSERT_EQUAL(json_integer_value(json_object_get(json_array_get(j, 1999), "i")),
                    1999);
    json_decref(j);
    jarena_end();
    free(text);
    json_decref(big);
}

static void test_jarena_values_made_outside_survive(void)
{
    json_t *outside, *inside;

    jarena_install();
    outside = json_pack("{s:s, s:[i,i]}", "name", "kept", "list", 1, 2);
    jarena_begin();
    inside = json_loads("{\"a\":[1,2,3],\"b\":\"text\"}", 0, NULL);
    /* A value made outside, changed and partly freed inside the pair. */
    json_object_del(outside, "list");
    json_object_set_new(inside, "c", json_integer(7));
    CU_ASSERT_EQUAL(json_integer_value(json_object_get(inside, "c")), 7);
    json_decref(inside);
    jarena_end();
    /* The arena is reused by a later pair; the outside value is untouched by that. */
    CU_ASSERT_TRUE(parse_in_pair(NULL));
    CU_ASSERT_STRING_EQUAL(json_string_value(json_object_get(outside, "name")), "kept");
    CU_ASSERT_PTR_NULL(json_object_get(outside, "list"));
    json_object_set_new(outside, "more", json_string("added after"));
    CU_ASSERT_EQUAL(json_object_size(outside), 2);
    json_decref(outside);
}

static void *parser_thread(void *arg)
{
    int *bad = arg;

    for (int i = 0; i < 2000; i++)
        if (!parse_in_pair(NULL))
            (*bad)++;
    return NULL;
}

static void test_jarena_threads(void)
{
    pthread_t t[4];
    int bad[4] = {0};

    jarena_install();
    for (int i = 0; i < 4; i++)
        CU_ASSERT_EQUAL_FATAL(pthread_create(&t[i], NULL, parser_thread, &bad[i]), 0);
    for (int i = 0; i < 4; i++) {
        pthread_join(t[i], NULL);
        CU_ASSERT_EQUAL(bad[i], 0);
    }
}

static const struct cu_test tests[] = {
    {"jarena_parse_in_pair", test_jarena_parse_in_pair},
    {"jarena_outgrows_block", test_jarena_outgrows_block},
    {"jarena_values_made_outside_survive", test_jarena_values_made_outside_survive},
    {"jarena_threads", test_jarena_threads},
    {NULL, NULL},
};

CU_MAIN("jarena", tests)
