using Pipeline.Query;

namespace Pipeline.Tests.Query;

public sealed class SqlScriptTests
{
    [Fact]
    public void Semicolons_inside_quotes_comments_and_dollar_strings_do_not_split_statements()
    {
        var statements = SqlScript.Split("SELECT 'a;b'; -- c;d\nSELECT \"x;y\" FROM t /* e;f */; SELECT $$g;h$$, $1;; ");

        Assert.Equal(["SELECT 'a;b'", "-- c;d\nSELECT \"x;y\" FROM t /* e;f */", "SELECT $$g;h$$, $1"], statements);
        Assert.True(SqlScript.IsQuery(statements[1]));
        Assert.False(SqlScript.IsQuery("CREATE VIEW v AS SELECT 1"));
    }
}
