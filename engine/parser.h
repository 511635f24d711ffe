// parser.h — recursive-descent parser for Falco rule conditions.
//
// Grammar (EBNF). Blanks (space, tab, \b, \r, \n) may separate any two
// tokens; `and`/`or` must be followed by a blank or '('. This is the grammar
// libsinsp implements (its filter/parser.h), extended with `regex` and the
// `len(` transformer that newer Falco versions accept.
//
//   Expr              ::= OrExpr
//   OrExpr            ::= AndExpr ( 'or' ( Blank AndExpr | '(' Expr ')' ) )*
//   AndExpr           ::= NotExpr ( 'and' ( Blank NotExpr | '(' Expr ')' ) )*
//   NotExpr           ::= ( 'not' Blank )* ( 'not(' Expr ')' | Check )
//   Check             ::= '(' Expr ')'
//                       | FieldOperand Condition
//                       | Identifier                        (* a macro reference *)
//   FieldOperand      ::= Field | Transformer FieldOrTransform ')'
//   FieldOrTransform  ::= Field | Transformer FieldOrTransform ')'
//   Transformer       ::= 'tolower(' | 'toupper(' | 'b64(' | 'basename(' | 'len('
//   Field             ::= FieldName ( '[' ( QuotedStr | FieldArgBareStr ) ']' )?
//   Condition         ::= 'exists'
//                       | NumOperator ( RhsField | HexNumber | Number )
//                       | StrOperator ( RhsField | QuotedStr | BareStr )
//                       | ListOperator ( ListValue | RhsField | Identifier )
//   RhsField          ::= 'val(' Field ')' | Transformer FieldOrTransform ')'
//   ListValue         ::= '(' ( StrValue ( ',' StrValue )* )? ')'
//   StrValue          ::= QuotedStr | BareStr
//   NumOperator       ::= '<=' | '<' | '>=' | '>'
//   StrOperator       ::= '==' | '=' | '!=' | 'glob' | 'iglob' | 'contains'
//                       | 'icontains' | 'bcontains' | 'startswith'
//                       | 'bstartswith' | 'endswith' | 'regex'
//   ListOperator      ::= 'intersects' | 'in' | 'pmatch'
//
// Tokens: see engine/lexer.h (Identifier, FieldName, FieldArgBareStr,
// HexNumber, Number, QuotedStr, BareStr). Word operators (glob … regex) must
// be followed by a blank.
//
// Nesting is capped at kMaxConditionDepth (ast.h); deeper input is an error,
// never a stack overflow.
#pragma once

#include <string>
#include <string_view>

#include "engine/ast.h"

namespace kestrel::engine {

struct ParseError {
  std::string message;  // Falco's wording where Falco has one
  TextPos pos;          // where parsing stopped
};

struct ParseOutcome {
  ExprPtr expr;  // null on error
  ParseError error;
  bool ok() const { return expr != nullptr; }
};

// Parses a whole condition. Never throws.
ParseOutcome parse_condition(std::string_view text, int max_depth = kMaxConditionDepth);

// The operators the grammar knows, trimmed ("=", "in", "exists", …).
bool is_known_operator(std::string_view op);
// in, intersects, pmatch.
bool is_list_operator(std::string_view op);

class Parser {
 public:
  Parser(std::string_view text, int max_depth) : lex_(text), max_depth_(max_depth) {}
  ParseOutcome parse();

 private:
  // One method per grammar rule.
  ExprPtr parse_or();
  ExprPtr parse_and();
  // or_expr and and_expr share one shape: operand { keyword operand }.
  ExprPtr parse_chain(const char* keyword, ExprKind kind, ExprPtr (Parser::*operand)());
  ExprPtr parse_not();
  ExprPtr parse_embedded();  // after '(' : Expr ')'
  ExprPtr parse_check();
  bool parse_field(FieldOperand& out);
  bool parse_field_or_transform(FieldOperand& out);  // after a transformer's '('
  bool parse_condition_tail(Expr& check);
  bool parse_rhs_field(Expr& check, bool& found);
  bool parse_list_value(Expr& check);

  std::optional<Transformer> accept_transformer(bool allow_val);
  void fail(std::string message);
  bool failed() const { return failed_; }

  // RAII depth accounting: construction fails the parse past the cap.
  struct DepthGuard {
    Parser& p;
    bool ok;
    explicit DepthGuard(Parser& parser);
    ~DepthGuard() { --p.depth_; }
  };

  Lexer lex_;
  int max_depth_;
  int depth_ = 0;
  bool failed_ = false;
  ParseError error_;
  std::string last_token_;
};

}  // namespace kestrel::engine
