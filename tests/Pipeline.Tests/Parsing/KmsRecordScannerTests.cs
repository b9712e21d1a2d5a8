using System.Reflection;
using System.Text;
using System.Text.Encodings.Web;
using System.Text.Json;
using System.Text.Json.Nodes;
using Pipeline.Parsing;
using Xunit.Abstractions;
using static Pipeline.Tests.Support.CloudTrailRecords;

namespace Pipeline.Tests.Parsing;

/// <summary>
/// The hand-written scanner is the fast path of <see cref="KmsRecordParser"/>: whenever it accepts a record, the
/// <see cref="Utf8JsonReader"/> path must accept it too, without a type error, and find exactly the same fields;
/// whenever the reader rejects a record, the scanner must decline it.
/// </summary>
public sealed class KmsRecordScannerTests(PreScanCorpus corpus, ITestOutputHelper output) : IClassFixture<PreScanCorpus>
{
    private const int MaxDepth = 64;

    // The first is how CloudTrail writes: compact, only the escapes JSON requires.
    private static readonly JsonSerializerOptions[] Layouts =
    [
        new() { WriteIndented = false, Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping },
        new() { WriteIndented = false },
        new() { WriteIndented = true },
        new() { WriteIndented = true, NewLine = "\r\n", IndentCharacter = '\t', IndentSize = 1 },
    ];

    private static readonly FieldInfo[] Fields = typeof(KmsRecordFields).GetFields(BindingFlags.Public | BindingFlags.Instance);

    [Fact]
    public void Scanner_reads_every_generated_and_hand_written_record_like_the_reader_in_every_layout()
    {
        var records = corpus.Generated.Concat(corpus.HandWritten).ToList();
        var accepted = 0;
        var compactAccepted = 0;
        foreach (var layout in Layouts)
        {
            foreach (var record in records)
            {
                var bytes = Encoding.UTF8.GetBytes(record.ToJsonString(layout));
                var outcome = Check(bytes);
                if (outcome != Outcome.Accepted && layout == Layouts[0])
                {
                    output.WriteLine("declined: " + Text(bytes));
                }

                if (outcome == Outcome.Accepted)
                {
                    accepted++;
                    if (layout == Layouts[0])
                    {
                        compactAccepted++;
                    }
                }
            }
        }

        output.WriteLine($"{accepted} of {records.Count * Layouts.Length} records taken by the scanner");

        // The fast path must actually be the path for what CloudTrail writes (compact, unescaped), or it is dead code.
        Assert.True(compactAccepted >= records.Count * 95 / 100, $"the scanner took only {compactAccepted} of {records.Count} compact records");
    }

    [Fact]
    public void Scanner_never_accepts_a_mutated_record_that_the_reader_rejects_or_reads_differently()
    {
        var random = new Random(20261129);
        var pool = corpus.Generated.Where(r => r["eventSource"]?.GetValue<string>() == "kms.amazonaws.com").Take(300)
            .Concat(corpus.HandWritten)
            .Select(r => Encoding.UTF8.GetBytes(r.ToJsonString(Layouts[random.Next(Layouts.Length)])))
            .ToList();
        var tally = new Dictionary<Outcome, int>();
        for (var i = 0; i < 20_000; i++)
        {
            var mutated = Mutate(pool[random.Next(pool.Count)], random);
            var outcome = Check(mutated);
            tally[outcome] = tally.GetValueOrDefault(outcome) + 1;
        }

        output.WriteLine(string.Join(", ", tally.Select(t => $"{t.Key}: {t.Value}")));

        // The mutations must reach all three outcomes, or they test nothing.
        Assert.True(tally.GetValueOrDefault(Outcome.Accepted) > 1_000, "too few mutated records accepted");
        Assert.True(tally.GetValueOrDefault(Outcome.DeclinedReaderRejects) > 1_000, "too few mutated records invalid");
        Assert.True(tally.GetValueOrDefault(Outcome.DeclinedReaderAccepts) > 100, "too few mutated records declined while valid");
    }

    [Theory]
    [InlineData("""{"eventID":"a",}""")]
    [InlineData("""{"eventID":"a" "eventName":"Decrypt"}""")]
    [InlineData("""{"eventID" "a"}""")]
    [InlineData("""{,"eventID":"a"}""")]
    [InlineData("""{"resources":[1,]}""")]
    [InlineData("""{"resources":[,1]}""")]
    [InlineData("""{"x":01}""")]
    [InlineData("""{"x":1.}""")]
    [InlineData("""{"x":.5}""")]
    [InlineData("""{"x":-}""")]
    [InlineData("""{"x":1e}""")]
    [InlineData("""{"x":+1}""")]
    [InlineData("""{"x":tru}""")]
    [InlineData("""{"x":nul}""")]
    [InlineData("""{"x":True}""")]
    [InlineData("""{"x":"a\qb"}""")]
    [InlineData("""{"x":"a\u12"}""")]
    [InlineData("""{"x":"a\u12G4"}""")]
    [InlineData("""{"x":'a'}""")]
    [InlineData("""{"x":"unterminated}""")]
    [InlineData("""{"x":[1,2}""")]
    [InlineData("""{"x":{"y":1]}""")]
    [InlineData("""{"x":1 /* comment */}""")]
    [InlineData("""{"eventID":"a\""")]
    [InlineData("""{"userIdentity":{"type":"IAMUser",}}""")]
    [InlineData("""{"requestParameters":{"keyId":"k" "x":1}}""")]
    public void Scanner_declines_invalid_json_that_the_reader_rejects(string json)
    {
        Assert.Equal(Outcome.DeclinedReaderRejects, Check(Encoding.UTF8.GetBytes(json)));
    }

    [Fact]
    public void Scanner_declines_a_raw_control_character_inside_a_string()
    {
        Assert.Equal(Outcome.DeclinedReaderRejects, Check("{\"userAgent\":\"a\u0001b\"}"u8.ToArray()));
        Assert.Equal(Outcome.DeclinedReaderRejects, Check("{\"x\":\"tab\there\"}"u8.ToArray()));
    }

    [Fact]
    public void Scanner_declines_nesting_deeper_than_the_limit()
    {
        var deep = "{\"x\":" + new string('[', MaxDepth + 2) + new string(']', MaxDepth + 2) + "}";
        Assert.Equal(Outcome.DeclinedReaderRejects, Check(Encoding.UTF8.GetBytes(deep)));
    }

    [Theory]
    [InlineData("""{"eventName":"Decrypt","userIdentity":"not an object"}""")]
    [InlineData("""{"readOnly":"yes"}""")]
    [InlineData("""{"eventID":42}""")]
    [InlineData("""{"requestParameters":{"pendingWindowInDays":7.5}}""")]
    [InlineData("""{"requestParameters":{"pendingWindowInDays":"7"}}""")]
    [InlineData("""{"requestParameters":{"pendingWindowInDays":12345678901}}""")]
    [InlineData("""{"userAgent":"quote \" inside"}""")]
    [InlineData("""{"event\u0049D":"escaped name"}""")]
    [InlineData("""{"requestParameters":{"policy":"{\"Version\":\"2012-10-17\"}"}}""")]
    public void Scanner_leaves_valid_records_it_does_not_handle_to_the_reader(string json)
    {
        Assert.Equal(Outcome.DeclinedReaderAccepts, Check(Encoding.UTF8.GetBytes(json)));
    }

    [Theory]
    [InlineData("""{"eventID":"a","eventName":"Decrypt","x":{"deep":[1,-2.5e+3,true,false,null,"s\"q\\\/\b\f\n\r\t"]}}""")]
    [InlineData(" { \"eventID\" : \"a\" ,\r\n\t\"readOnly\" : \"true\" , \"resources\" : [ { \"arn\" : \"arn:aws:kms:us-east-1:111122223333:key/k\" , \"accountId\" : \"111122223333\" } ] } ")]
    [InlineData("""{"requestParameters":null,"responseElements":"text","resources":{"not":"an array"},"additionalEventData":[]}""")]
    [InlineData("""{"requestParameters":{"pendingWindowInDays":7},"responseElements":{"pendingWindowInDays":30,"keyMetadata":{"arn":"arn:aws:kms:eu-west-1:111122223333:key/x"}}}""")]
    [InlineData("""{"userIdentity":{"type":"AssumedRole","sessionContext":{"sessionIssuer":{"arn":"a","arn":"b"},"attributes":{}}},"eventID":"1","eventID":"2"}""")]
    [InlineData("""{"userIdentity":{"sessionContext":"text"},"responseElements":{"keyMetadata":[1]}}""")]
    [InlineData("""{"requestParameters":{"policy":{"Version":"2012-10-17"},"operations":["Decrypt","Encrypt"],"bypassPolicyLockoutSafetyCheck":false,"pendingWindowInDays":-0}}""")]
    [InlineData("""{"resources":[1,"x",{"ARN":"arn:aws:kms:us-east-1:1:alias/a"},{"ARN":"arn:aws:kms:us-east-1:1:key/k","accountId":"1"},{"ARN":"arn:aws:kms:us-east-1:2:key/j"}]}""")]
    [InlineData("""{"userAgent":"plain","x":"\u00e9\ud800\u002B","requestParameters":{"encryptionContext":{"k":"\u0041"}}}""")]
    [InlineData("""{"userIdentity":{"type":"IdentityCenterUser","accountId":"1","onBehalfOf":{"userId":"u-1","identityStoreArn":"arn:aws:identitystore::1:identitystore/d-1"},"credentialId":"c"}}""")]
    [InlineData("""{"userIdentity":{"onBehalfOf":null,"type":"AssumedRole"}}""")]
    [InlineData("""{}""")]
    public void Scanner_reads_valid_records_of_any_layout_like_the_reader(string json)
    {
        Assert.Equal(Outcome.Accepted, Check(Encoding.UTF8.GetBytes(json)));
    }

    [Fact]
    public void Parse_reads_the_hand_written_decrypt_the_same_through_either_path()
    {
        var record = Encoding.UTF8.GetBytes(AssumedRoleDecrypt());
        var fast = new KmsRecordFields();
        Assert.True(KmsRecordScanner.TryParse(record, ref fast, MaxDepth));
        var parser = new KmsRecordParser();
        var slow = new KmsRecordFields();
        parser.ParseWithReader(record, ref slow, MaxDepth);
        AssertSameFields(slow, fast, record);
        Assert.Equal("my-function", Encoding.UTF8.GetString(record.AsSpan(fast.IdentityArn.Start, fast.IdentityArn.Length)).Split('/')[^1]);
    }

    private enum Outcome
    {
        Accepted,
        DeclinedReaderAccepts,
        DeclinedReaderRejects,
    }

    /// <summary>Runs both paths on <paramref name="record"/> and asserts the scanner's contract; returns what happened.</summary>
    private static Outcome Check(byte[] record)
    {
        var fast = new KmsRecordFields();
        var accepted = KmsRecordScanner.TryParse(record, ref fast, MaxDepth);

        var parser = new KmsRecordParser();
        var slow = new KmsRecordFields();
        try
        {
            parser.ParseWithReader(record, ref slow, MaxDepth);
        }
        catch (JsonException)
        {
            Assert.False(accepted, $"the scanner accepted a record the reader rejects: {Text(record)}");
            return Outcome.DeclinedReaderRejects;
        }

        if (!accepted)
        {
            return Outcome.DeclinedReaderAccepts;
        }

        Assert.True(parser.TypeError is null, $"the scanner accepted a record with a type error ({parser.TypeError}): {Text(record)}");
        Assert.True(parser.Scratch.IsEmpty, $"the scanner accepted a record whose kept values the reader had to unescape: {Text(record)}");
        AssertSameFields(slow, fast, record);
        return Outcome.Accepted;
    }

    private static void AssertSameFields(KmsRecordFields expected, KmsRecordFields actual, byte[] record)
    {
        foreach (var field in Fields)
        {
            var e = field.GetValue(expected);
            var a = field.GetValue(actual);
            Assert.True(Equals(e, a), $"{field.Name}: reader {e}, scanner {a} in {Text(record)}");
        }
    }

    private static string Text(byte[] record) => Encoding.UTF8.GetString(record.AsSpan(0, Math.Min(record.Length, 600)));

    private static readonly string[] Insertions =
        ["{", "}", "[", "]", ",", ":", "\"", "\\", " ", "\t", "\n", "0", "-", ".", "e", "1", "t", "n", "true", "null", "\u0001", "\\u0041", "\\ud800", "\\uZ", "\\n", "\"\"", "{}", "[]", ",\"k\":1", "\"resources\":", "\"arn\":"];

    // Cast to bytes: \u00ff and \u00c3 become invalid UTF-8 (the reader does not check it while reading; nor does the scanner).
    private const string Replacements = "{}[],:\"\\ 0123456789-+.eEtrufalsn\t\u0001xA\u00ff\u00c3";

    /// <summary>One to three random edits: delete, insert a JSON-ish fragment, replace a byte, or swap in a value from elsewhere.</summary>
    private static byte[] Mutate(byte[] source, Random random)
    {
        var bytes = new List<byte>(source);
        var edits = random.Next(1, 4);
        for (var e = 0; e < edits && bytes.Count > 2; e++)
        {
            var at = random.Next(bytes.Count);
            switch (random.Next(4))
            {
                case 0:
                    bytes.RemoveRange(at, Math.Min(random.Next(1, 4), bytes.Count - at));
                    break;
                case 1:
                    bytes.InsertRange(at, Encoding.UTF8.GetBytes(Insertions[random.Next(Insertions.Length)]));
                    break;
                case 2:
                    bytes[at] = (byte)Replacements[random.Next(Replacements.Length)];
                    break;
                default:
                    var from = random.Next(bytes.Count);
                    var length = Math.Min(random.Next(1, 40), bytes.Count - from);
                    bytes.InsertRange(at, bytes.GetRange(from, length));
                    break;
            }
        }

        return [.. bytes];
    }
}
