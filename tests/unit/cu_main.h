/* cu_main: shared CUnit runner. A test file defines `static const struct cu_test tests[]`
 * (ended by {NULL, NULL}) and calls CU_MAIN("suite", tests). */
#ifndef TG_CU_MAIN_H
#define TG_CU_MAIN_H

#include <CUnit/Basic.h>
#include <CUnit/CUnit.h>

struct cu_test {
    const char *name;
    void (*fn)(void);
};

static inline int cu_run(const char *suite_name, const struct cu_test *tests)
{
    CU_pSuite suite;
    int failed;

    if (CU_initialize_registry() != CUE_SUCCESS)
        return 2;
    suite = CU_add_suite(suite_name, NULL, NULL);
    if (!suite)
        return 2;
    for (const struct cu_test *t = tests; t->name; t++)
        if (!CU_add_test(suite, t->name, t->fn))
            return 2;
    CU_basic_set_mode(CU_BRM_VERBOSE);
    CU_basic_run_tests();
    /* CU_basic_run_tests() returns success even when tests fail. */
    failed = (int)(CU_get_number_of_tests_failed() + CU_get_number_of_failures());
    CU_cleanup_registry();
    return failed ? 1 : 0;
}

#define CU_MAIN(name, tests)                                                             \
    int main(void)                                                                       \
    {                                                                                    \
        return cu_run((name), (tests));                                                  \
    }

#endif
