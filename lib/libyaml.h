/* libyaml's own <yaml.h>, which lib/yaml.h hides wherever -Ilib comes
 * first. Dangerous trick: include this as <libyaml.h> (found through -Ilib),
 * so that #include_next goes on searching after lib/ and reaches the
 * parser's header; as "libyaml.h" it would find lib/yaml.h again. */
#include_next <yaml.h>
