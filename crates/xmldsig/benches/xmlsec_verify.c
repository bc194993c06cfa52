/* libxmlsec1 in-process baseline for scripts/bench-sign-verify: parses the same signed
 * record from memory and verifies each of its signatures (sig1..sigN), in a loop, for
 * the given number of seconds; prints records per second.
 *
 * Build: cc -O2 xmlsec_verify.c $(pkg-config --cflags --libs xmlsec1) -o xmlsec_verify
 * Run:   ./xmlsec_verify signed.xml root.pem SECONDS NSIGS
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <libxml/parser.h>
#include <libxml/tree.h>
#include <xmlsec/xmlsec.h>
#include <xmlsec/xmltree.h>
#include <xmlsec/xmldsig.h>
#include <xmlsec/crypto.h>

static double now(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec + ts.tv_nsec / 1e9;
}

int main(int argc, char **argv) {
    if (argc != 5) {
        fprintf(stderr, "usage: %s signed.xml root.pem SECONDS NSIGS\n", argv[0]);
        return 2;
    }
    double secs = atof(argv[3]);
    int nsigs = atoi(argv[4]);
    FILE *f = fopen(argv[1], "rb");
    if (!f) { perror(argv[1]); return 2; }
    fseek(f, 0, SEEK_END);
    long len = ftell(f);
    fseek(f, 0, SEEK_SET);
    char *buf = malloc(len);
    if (fread(buf, 1, len, f) != (size_t)len) { perror("read"); return 2; }
    fclose(f);

    xmlInitParser();
    if (xmlSecInit() < 0 || xmlSecCryptoAppInit(NULL) < 0 || xmlSecCryptoInit() < 0) {
        fprintf(stderr, "xmlsec init failed\n");
        return 1;
    }
    xmlSecKeysMngrPtr mngr = xmlSecKeysMngrCreate();
    if (!mngr || xmlSecCryptoAppDefaultKeysMngrInit(mngr) < 0 ||
        xmlSecCryptoAppKeysMngrCertLoad(mngr, argv[2], xmlSecKeyDataFormatPem, xmlSecKeyDataTypeTrusted) < 0) {
        fprintf(stderr, "keys manager setup failed\n");
        return 1;
    }
    const xmlChar *ids[] = { BAD_CAST "Id", NULL };
    /* 2026-06-01T09:00:00Z, the signing time of the benchmark record. */
    time_t at = 1780304400;

    long records = 0;
    double start = now();
    while (now() - start < secs) {
        xmlDocPtr doc = xmlReadMemory(buf, (int)len, "record.xml", NULL, XML_PARSE_NONET);
        if (!doc) { fprintf(stderr, "parse failed\n"); return 1; }
        xmlSecAddIDs(doc, xmlDocGetRootElement(doc), ids);
        for (int k = 1; k <= nsigs; k++) {
            char id[16];
            snprintf(id, sizeof id, "sig%d", k);
            xmlAttrPtr attr = xmlGetID(doc, BAD_CAST id);
            if (!attr) { fprintf(stderr, "no %s\n", id); return 1; }
            xmlSecDSigCtxPtr ctx = xmlSecDSigCtxCreate(mngr);
            ctx->keyInfoReadCtx.certsVerificationTime = at;
            if (xmlSecDSigCtxVerify(ctx, attr->parent) < 0 || ctx->status != xmlSecDSigStatusSucceeded) {
                fprintf(stderr, "%s did not verify\n", id);
                return 1;
            }
            xmlSecDSigCtxDestroy(ctx);
        }
        xmlFreeDoc(doc);
        records++;
    }
    double elapsed = now() - start;
    printf("%.0f\n", records / elapsed);
    xmlSecKeysMngrDestroy(mngr);
    xmlSecCryptoShutdown();
    xmlSecCryptoAppShutdown();
    xmlSecShutdown();
    xmlCleanupParser();
    free(buf);
    return 0;
}
