import Foundation
@testable import LabPipeline
import LabTestSupport
import Testing

@Suite struct Figures {
    @Test(arguments: [
        ("Revenue was $1,234.5 million", 1234.5, 1e6, Figure.Kind.amount, 1),
        ("capital expenditures (188.5) in the period", -188.5, 1, .amount, 1),
        ("a CAGR of -7.49%", -7.49, 1, .percent, 2),
        ("rose 25 basis points", 25, 1, .basisPoints, 0),
        ("up 3 percentage points", 3, 1, .percentagePoints, 0),
        ("in fiscal 2024", 2024, 1, .year, 0),
        ("ended Sep 30, 2025", 30, 1, .label, 0),
        ("the Form 10-K", 10, 1, .label, 0),
        ("USD 450m of debt", 450, 1e6, .amount, 0),
        ("12.5 percent", 12.5, 1, .percent, 1),
    ])
    func figuresAreReadWithSignScaleAndKind(text: String, value: Double, scale: Double, kind: Figure.Kind, decimals: Int) throws {
        let figure = try #require(FigureScanner.figures(in: text).first, "no figure in \(text)")
        #expect(figure.value == value && figure.scale == scale && figure.kind == kind && figure.decimals == decimals,
                "\(text): read \(figure)")
    }

    @Test func aListMarkerIsALabelNotAQuantity() {
        let figures = FigureScanner.quantities(in: "1. Ratio: 410 / 250 = 1.64.")
        #expect(figures.map(\.value) == [410, 250, 1.64])
    }

    @Test func aWrittenFigureStandsForItsRoundingInterval() {
        let figure = FigureScanner.figures(in: "13.2%")[0]
        #expect(figure.matches(13.16) && figure.matches(13.249) && !figure.matches(13.3))
    }
}

@Suite struct Steps {
    @Test(arguments: [
        "1.64^(1/4) = 1.1316",
        "Check: 1.1316^4 = 1.6397, and 250 x 1.6397 = 409.9, which is $410 million after rounding.",
        "3. Multiply by 100: -0.216 x 100 = -21.6%.",
        "(50% + (-20%)) / 2 = 15%",
        "1. Net income: 1,220 x 1,000,000 = $1,220,000,000, or $1.22 billion.",
        "EPS = 312.4 million dollars / 96.1 million shares = 3.2508.",
        "1. Change: 9.8 - 12.5 = -2.7 million dollars.",
        "3. Relative change: 0.25 / 4.25 x 100 = 5.88...%, about 5.9%.",
    ])
    func honestStepsHold(text: String) {
        let steps = WorkedSteps.steps(in: text)
        #expect(!steps.isEmpty, "no step read in \(text)")
        #expect(steps.allSatisfy { $0.holds }, "\(steps)")
    }

    @Test(arguments: [
        "12,500 in thousands = 12,500 / 1,000 = 1.25 thousand",
        "2. Millions to thousands: 620 x 100 = 6,200 thousand.",
        "Ratio: 410 / 250 = 1.46.",
        "CAGR = 1.1316 - 1 = 0.1416",
    ])
    func wrongStepsAreCaught(text: String) {
        #expect(WorkedSteps.steps(in: text).contains { !$0.holds }, "\(WorkedSteps.steps(in: text))")
    }

    @Test func formulasInWordsAreNotSteps() {
        #expect(WorkedSteps.steps(in: "Percent change = (new value - old value) / old value x 100.").isEmpty)
    }
}

@Suite struct Arithmetic {
    let check = ArithmeticCheck(rules: [
        (LeafGlob("*/percent_change"), [.percentChange, .percentagePoints, .reversePercent, .successiveChange]),
        (LeafGlob("*/cagr"), [.cagr, .futureValue]),
        (LeafGlob("*/unit_scaling"), [.scale, .difference, .sum]),
    ])

    func verify(_ leaf: String, _ question: String, _ answer: String) -> Finding? {
        check.verify(CandidateText(leafPath: "skills/\(leaf)", flow: .freeformSkill, question: question, answer: answer, context: nil))
    }

    @Test func theRightPercentChangeIsAcceptedWithWhatWasRecomputed() throws {
        let finding = try #require(verify("percent_change", "Revenue grew from $48.0 million to $55.2 million. What is the percent change?",
                                          "(55.2 - 48.0) / 48.0 x 100 = 15%.\n\nRevenue increased by 15.0%."))
        #expect(finding.decision == .accept, "\(finding)")
        #expect(finding.evidence["recomputed"] == "15%" && finding.evidence["operation"] == "percent_change")
    }

    @Test func theWrongBaseIsRejected() throws {
        // (55.2 - 48) / 55.2 = 13.04%: divided by the new value.
        let finding = try #require(verify("percent_change", "Revenue grew from $48.0 million to $55.2 million. What is the percent change?",
                                          "Revenue increased by about 13.0%."))
        #expect(finding.decision == .reject && finding.reason == "final figure does not match the recomputed result", "\(finding)")
    }

    @Test func yearsOffByOneInACAGRAreRejected() throws {
        let question = "Revenue was $120 million in 2019 and $198 million in 2024. What is the CAGR?"
        #expect(verify("cagr", question, "The CAGR is about 10.5% per year.")?.decision == .accept)
        // Six years instead of five: 8.7%.
        #expect(verify("cagr", question, "The CAGR is about 8.7% per year.")?.decision == .reject)
    }

    @Test func thousandsReadAsMillionsAreRejected() throws {
        let question = "A balance sheet (in thousands) shows cash of 12,500. How much cash is that?"
        #expect(verify("unit_scaling", question, "Cash is $12.5 million.")?.decision == .accept)
        #expect(verify("unit_scaling", question, "Cash is $12.5 billion.")?.decision == .reject)
    }

    @Test func aQuestionWithoutItsDataAndAnAnswerWithoutAResultFail() throws {
        #expect(verify("cagr", "What is the CAGR of 3.10?", "The CAGR is 3.10%.")?.reason == "question lacks the figures to compute")
        #expect(verify("cagr", "Revenue grew from $250 million in 2020 to $410 million in 2024. What was the CAGR?",
                       "CAGR = (ending value / beginning value)^(1 / years) - 1.\n\nUse the formula above.")?.reason == "answer has no final figure")
    }

    @Test func theWrongDirectionIsRejected() throws {
        let finding = verify("percent_change", "Inventory fell from $318 million to $286 million. What is the percent change?",
                             "Inventory increased by about 10.1%.")
        #expect(finding?.reason == "the final sentence states the wrong direction", "\(String(describing: finding))")
    }
}

/// Wrong samples the embedded teacher got accepted in a generation run (2026-12-06), each now
/// caught by a narrow rule; and their right twins, which still pass.
@Suite struct AcceptedJunk {
    @Test func aSummaryThatAnnouncesItselfIsScaffoldingButTheSameQuestionIsFair() {
        let check = LeakCheck(templates: [], leafTexts: [:])
        let question = "What is the summary of this paragraph about Halvorsen Composites' first quarter release?"
        #expect(check.verify(CandidateText(leafPath: "s", flow: .groundedSkill, question: question,
                                           answer: "The summary of this paragraph is: the company swung to a net loss.", context: nil))?.decision == .reject)
        #expect(check.verify(CandidateText(leafPath: "s", flow: .groundedSkill, question: question,
                                           answer: "Halvorsen swung to a net loss of $38.2 million.", context: nil))?.decision == .accept)
    }

    @Test func everyUnitTheQuestionNamesMustBeAnswered() {
        let question = "The central bank raised its policy rate from 4.25% to 4.50%. Describe the change in percentage points, basis points and percent."
        let partial = AnswersQuestionCheck().verify(CandidateText(leafPath: "p", flow: .freeformSkill, question: question,
            answer: "1. Percentage points: 4.5% - 4.25% = 0.25 percentage points. 2. Relative change: 0.25 / 4.25 x 100 = 5.88%. The rate rose 0.25 percentage points, or 5.9%.", context: nil))
        #expect(partial?.reason == "answer leaves out a unit the question asks for" && partial?.evidence["unit"] == "basis point")
        let whole = AnswersQuestionCheck().verify(CandidateText(leafPath: "p", flow: .freeformSkill, question: question,
            answer: "The rate rose 0.25 percentage points (25 basis points), a 5.9% increase relative to 4.25%.", context: nil))
        #expect(whole?.decision == .accept)
    }

    @Test func spuriousDecimalsAreAnArtefact() {
        #expect(AnswersQuestionCheck.spuriousPrecision(in: "The company grew from $48.000000 to $55.000000.") == "48.000000")
        #expect(AnswersQuestionCheck.spuriousPrecision(in: "Ratio: 1.9 / 2.4 = 0.7917, or 12,500.5 and 3.1400 and 1.0000") == "1.0000")
        #expect(AnswersQuestionCheck.spuriousPrecision(in: "Ratio: 1.9 / 2.4 = 0.7917; 2026; 1,204.25 and 4.50%") == nil)
    }

    @Test func aCAGRQuestionAboutACumulativeTotalIsIllPosed() {
        let check = ArithmeticCheck(rules: [(glob: LeafGlob("*/cagr"), operations: [.cagr])])
        let finding = check.verify(CandidateText(leafPath: "a/cagr", flow: .freeformSkill,
            question: "A company with revenue of $600 million wants to reach a cumulative revenue of $1 billion in six years. What CAGR does it need?",
            answer: "1. Ratio: 1,000 / 600 = 1.6667. 2. Root: 1.6667^(1/6) = 1.0889. The CAGR is about 8.9%.", context: nil))
        #expect(finding?.reason == "question is ill-posed: a growth rate needs two values, not a cumulative total")
    }

    @Test func aTableCellAnswersOnlyTheSpanItsColumnCovers() {
        #expect(NumberSupportCheck.spanMismatch(question: "What is Redfern Freight's monthly capital expenditures in 2024?", column: "Six months ended Jun 30, 2024") == "monthly")
        #expect(NumberSupportCheck.spanMismatch(question: "What were quarterly net sales?", column: "Fiscal 2025") == "quarterly")
        #expect(NumberSupportCheck.spanMismatch(question: "What were annual net sales?", column: "Three months ended Sep 30, 2025") == "annual")
        #expect(NumberSupportCheck.spanMismatch(question: "What were quarterly net sales?", column: "Three months ended Sep 30, 2025") == nil)
        #expect(NumberSupportCheck.spanMismatch(question: "What were capital expenditures in the first half of 2024?", column: "Six months ended Jun 30, 2024") == nil)
    }

    @Test func aQuestionForALiftedSentenceUsesOnlyWhatTheSentenceSays() {
        let itemContext = "Item 8 contains the audited financial statements, followed by the notes. Item 9A covers controls and procedures."
        let itemAnswer = "Item 8 contains the audited financial statements, followed by the notes."
        func check(_ question: String, _ answer: String, _ context: String) -> Finding? {
            AnswersQuestionCheck().verify(CandidateText(leafPath: "k", flow: .knowledge, question: question, answer: answer, context: context))
        }
        #expect(check("What is the item 9 in the item 8?", itemAnswer, itemContext)?.reason == "the question names a figure its answer does not")
        #expect(check("What does Item 8 of a Form 10-K contain?", itemAnswer, itemContext)?.decision == .accept)

        let cashContext = "Free cash flow is usually defined as net cash provided by operating activities minus capital expenditures, but definitions differ between companies."
        let cashAnswer = cashContext
        #expect(check("What are the differences between free cash flow and cash flow from assets?", cashAnswer, cashContext)?.reason
                == "the answer leaves out one side of the comparison")
        let bothContext = "Gross margin is gross profit over revenue, while operating margin is operating income over revenue."
        #expect(check("What is the difference between gross margin and operating margin?", bothContext, bothContext)?.decision == .accept)
    }

    @Test func aQuestionThatRestatesItsLiftedAnswerIsNotAQuestionItAnswers() {
        let context = """
            A typical call has two parts:

            1. **Prepared remarks.** The chief executive officer discusses strategy and the highlights of the
               quarter, and the chief financial officer walks through the financial results and the guidance.
            """
        let answer = "The chief executive officer discusses strategy and the highlights of the quarter, and the chief financial officer walks through the financial results and the guidance."
        let restated = AnswersQuestionCheck().verify(CandidateText(leafPath: "k", flow: .knowledge,
            question: "What is the Chief Executive Officer discussing strategy and the highlights of the quarter?", answer: answer, context: context))
        #expect(restated?.reason == "the question restates its answer", "\(String(describing: restated))")
        let fair = AnswersQuestionCheck().verify(CandidateText(leafPath: "k", flow: .knowledge,
            question: "Who speaks in the prepared remarks of an earnings call, and what does each cover?", answer: answer, context: context))
        #expect(fair?.reason != "the question restates its answer")
    }

    // The real accepted samples of a `make run` (seed 42), each with a fair twin that still passes.
    @Test func aLiftedDefinitionDoesNotAnswerANarrowerQuestion() {
        let context = """
            Guidance is usually a range, such as revenue of $425 million to $435 million for the next quarter, and may cover \
            revenue, operating margin, EPS, free cash flow or capital expenditures. Companies update guidance each quarter.
            """
        let answer = "Guidance is usually a range, such as revenue of $425 million to $435 million for the next quarter, and may cover revenue, operating margin, EPS, free cash flow or capital expenditures."
        let narrower = AnswersQuestionCheck().verify(CandidateText(leafPath: "k", flow: .knowledge,
            question: "What is the range of the next quarter's guidance?", answer: answer, context: context))
        #expect(narrower?.reason == "the question asks more than the answer's sentence says", "\(String(describing: narrower))")
        for fair in ["What is guidance?", "What does guidance usually cover?"] {
            let finding = AnswersQuestionCheck().verify(CandidateText(leafPath: "k", flow: .knowledge, question: fair, answer: answer, context: context))
            #expect(finding?.decision == .accept, "\(fair): \(String(describing: finding))")
        }
        let filings = "All Form 10-K filings are public and can be read free of charge on EDGAR, the SEC's electronic filing system."
        let oblique = AnswersQuestionCheck().verify(CandidateText(leafPath: "k", flow: .knowledge,
            question: "What kind of things can be read from a Form 10-K filings?", answer: filings, context: filings + " A 10-K has four parts."))
        #expect(oblique?.decision == .reject)
    }

    @Test func aQuestionMayNotInventAFigureOfItsSource() {
        let table = """
            Redfern Freight Corporation
            Condensed consolidated statements of cash flows (excerpt, unaudited)
            (in millions of U.S. dollars)

            | | Six months ended Jun 30, 2025 | Six months ended Jun 30, 2024 |
            |---|---|---|
            | Net cash provided by operating activities | 412.0 | 365.4 |
            | Capital expenditures | (188.6) | (201.3) |
            """
        let answer = "Redfern Freight Corporation reported capital expenditures of $201.3 million for the six months ended Jun 30, 2024."
        let invented = NumberSupportCheck().verify(CandidateText(leafPath: "k", flow: .knowledge,
            question: "In 2024, Redfern Freight spent $7.67 billion in capital expenditures and $2.27 billion in revolving doors. How much did Redfern Freight spend on capital expenditures in the first half of 2024?",
            answer: answer, context: table))
        #expect(invented?.reason == "the question states a figure the context does not have", "\(String(describing: invented))")
        for fair in ["How much did Redfern Freight spend on capital expenditures in the six months ended Jun 30, 2024?",
                     "Of the $365.4 million of operating cash flow in the first 6 months of 2024, how much went to capital expenditures?"] {
            let finding = NumberSupportCheck().verify(CandidateText(leafPath: "k", flow: .knowledge, question: fair, answer: answer, context: table))
            #expect(finding?.decision == .accept, "\(fair): \(String(describing: finding))")
        }
    }

    @Test func oneTableCellDoesNotAnswerAComparison() {
        let table = """
            Keel Harbor Software, Inc.
            Consolidated balance sheets (excerpt)
            (in thousands of U.S. dollars)

            | | Dec 31, 2025 | Dec 31, 2024 |
            |---|---|---|
            | Cash and cash equivalents | 184,302 | 151,977 |
            | Accounts receivable, net | 96,415 | 88,020 |
            """
        let answer = "Keel Harbor Software, Inc. reported accounts receivable, net of $96,415 thousand at Dec 31, 2025."
        let comparison = AnswersQuestionCheck().verify(CandidateText(leafPath: "t", flow: .groundedSkill,
            question: "What was the net difference between the amount of cash received from accounts receivable versus the cash available at the end of 2025?",
            answer: answer, context: table))
        #expect(comparison?.reason == "the question asks for a comparison; the answer states one value", "\(String(describing: comparison))")
        let single = AnswersQuestionCheck().verify(CandidateText(leafPath: "t", flow: .groundedSkill,
            question: "What were Keel Harbor Software's accounts receivable, net at Dec 31, 2025?", answer: answer, context: table))
        #expect(single?.reason != comparison?.reason, "\(String(describing: single))")
        let drawn = AnswersQuestionCheck().verify(CandidateText(leafPath: "t", flow: .groundedSkill,
            question: "How did Keel Harbor Software's accounts receivable change in 2025?",
            answer: "Accounts receivable, net rose to $96,415 thousand at Dec 31, 2025 from $88,020 thousand a year earlier.", context: table))
        #expect(drawn?.reason != comparison?.reason, "\(String(describing: drawn))")
        let noValue = AnswersQuestionCheck().verify(CandidateText(leafPath: "t", flow: .groundedSkill,
            question: "What were Keel Harbor Software's accounts receivable, net at Dec 31, 2025?",
            answer: "Keel Harbor Software's accounts receivable, net are the part of its cash and cash equivalents that customers still owe.", context: table))
        #expect(noValue?.reason == "the question names a table row; the answer states no value", "\(String(describing: noValue))")
        let unasked = AnswersQuestionCheck().verify(CandidateText(leafPath: "t", flow: .groundedSkill,
            question: "What were Keel Harbor Software's research and development expenses in 2025?",
            answer: "Keel Harbor Software's research and development expenses are the part of its cash and cash equivalents spent on products.", context: table))
        #expect(unasked?.reason == "the table lacks what the question asks, and the answer does not say so", "\(String(describing: unasked))")
    }

    @Test func anAnswerThatIntroducesItselfIsScaffolding() {
        let check = LeakCheck(templates: [], leafTexts: [:])
        let question = "What is an asset? Explain it in plain words."
        let announced = check.verify(CandidateText(leafPath: "t", flow: .freeformSkill, question: question,
            answer: "A simple explanation of what an asset is: An asset is something a company owns or controls that has value.", context: nil))
        #expect(announced?.reason == "the answer announces itself")
        let way = check.verify(CandidateText(leafPath: "t", flow: .freeformSkill, question: question,
            answer: "A simple way to explain it is: an asset is something a company owns or controls that has value.", context: nil))
        #expect(way?.reason == "the answer announces itself")
        for fair in ["An asset is something a company owns or controls that has value, such as cash or machines.",
                     "Short answer: an asset is something a company owns that has value.",
                     "One way to see it: an asset is something a company owns that has value.",
                     "A simple way to think of an asset is as something a company owns that has value."] {
            #expect(check.verify(CandidateText(leafPath: "t", flow: .freeformSkill, question: question, answer: fair, context: nil))?.decision == .accept)
        }
    }

    @Test func aSummaryMayNotBindAFigureToAnotherMeasure() {
        let context = """
            Oakridge Instruments, Inc. today reported revenue of $842.7 million for the second quarter of
            fiscal 2026, an increase of 9.4% from $770.3 million in the second quarter of fiscal 2025. GAAP
            net income was $96.1 million, or $1.18 per diluted share, compared with $81.5 million, or $0.99
            per diluted share, a year ago. Non-GAAP diluted earnings per share were $1.46, compared with
            $1.27 in the prior-year quarter.
            """
        let question = "Summarise this paragraph from Oakridge Instruments' earnings release in one or two sentences."
        let misbound = NumberSupportCheck().verify(CandidateText(leafPath: "s", flow: .groundedSkill, question: question,
            answer: "GAAP net income was $96.1 million, or $1.18 per diluted share. Non-GAAP diluted earnings per share were $1.46, or $0.99 per diluted share, a year ago.",
            context: context))
        #expect(misbound?.reason == "two figures the answer pairs are not paired in the context", "\(String(describing: misbound))")
        #expect(misbound?.evidence["pair"] == "$1.46 | $0.99")
        let fair = NumberSupportCheck().verify(CandidateText(leafPath: "s", flow: .groundedSkill, question: question,
            answer: "Revenue rose 9.4% to $842.7 million from $770.3 million; GAAP EPS was $1.18 against $0.99 and non-GAAP EPS $1.46 compared with $1.27.",
            context: context))
        #expect(fair?.decision == .accept, "\(String(describing: fair))")
    }

    @Test func aQuestionWithAParticipleForItsVerbIsGarbled() {
        let check = SelfContainedCheck()
        let context = "| | Fiscal 2025 |\n|---|---|\n| Devices | 902 |"
        #expect(check.verify(CandidateText(leafPath: "t", flow: .groundedSkill,
            question: "What revenue generated by the Device segment of Alder Point Medical in fiscal 2025?", answer: "$902 million", context: context))?.reason
            == "question has no main verb")
        #expect(check.verify(CandidateText(leafPath: "t", flow: .groundedSkill,
            question: "What revenue was generated by the Devices segment in fiscal 2025?", answer: "$902 million", context: context))?.reason
            != "question has no main verb")
    }

    @Test func aPercentChangeFromALossIsNotMeaningful() {
        let check = ArithmeticCheck(rules: [(glob: LeafGlob("*/percent_change"), operations: [.percentChange, .difference])])
        let question = "A start-up's operating result improved from a loss of $3 million to a profit of $9 million. What is the percent change?"
        let wrong = check.verify(CandidateText(leafPath: "a/percent_change", flow: .freeformSkill, question: question,
            answer: "1. Change: 9 - 3 = 6.\n2. Divide by the old value: 6 / 3 = 2.\n3. Multiply by 100: 2 x 100 = 200%.\n\nThe value increased by about 200%.", context: nil))
        #expect(wrong?.reason == "a percent change from a loss is not meaningful", "\(String(describing: wrong))")
        let right = check.verify(CandidateText(leafPath: "a/percent_change", flow: .freeformSkill, question: question,
            answer: "Percent change is not meaningful when the starting value is negative. The operating result improved by 9 - (-3) = $12 million.", context: nil))
        #expect(right?.decision == .accept, "\(String(describing: right))")
        // Nor is one written for it: the question is left to the teacher.
        #expect(WorkedAnswers.answer(question, operations: [.percentChange]) == nil)
    }

    @Test func aLabelBeforeAQuestionIsScaffoldingButASubjectIsNot() {
        let check = LeakCheck(templates: [], leafTexts: [:])
        for labelled in ["Reply: How does Halvorsen Composites describe its quarter?", "Hyp: What revenue did the Devices segment generate in fiscal 2025?", "Title: How much deferred revenue did Keel Harbor Software report?"] {
            #expect(check.verify(CandidateText(leafPath: "t", flow: .groundedSkill, question: labelled, answer: "Deferred revenue was $143,209 thousand.", context: nil))?.reason
                    == "role label in the question")
        }
        #expect(check.verify(CandidateText(leafPath: "t", flow: .freeformSkill, question: "Depreciation: what is it, in a nutshell?",
                                           answer: "Depreciation spreads the cost of a long-lived asset over the years it is used.", context: nil))?.decision == .accept)
    }

    @Test func aSummaryRequestNamesOnlyWhatItsParagraphOrSeedsName() {
        let paragraph = "Cash flow from operations was $1.26 billion for the quarter, and free cash flow was $1.04 billion. During the quarter Westmere Consumer Brands repurchased 3.1 million shares for $412 million."
        let check = SelfContainedCheck(strictLeaves: [LeafGlob("*/summarization/*")],
                                       seedQuestions: ["c/summarization/p": ["What is the gist of this cash flow and capital return paragraph?"]])
        func verify(_ question: String) -> Finding? {
            check.verify(CandidateText(leafPath: "c/summarization/p", flow: .groundedSkill, question: question, answer: "x", context: paragraph))
        }
        #expect(verify("What is the summary of the vertical balance report of Westmere Consumer Brands?")?.reason == "the request names what its context does not")
        #expect(verify("What is the gist of this cash flow and capital return paragraph?")?.decision == .accept)
        #expect(verify("Condense Westmere Consumer Brands' cash flow paragraph into one or two sentences.")?.decision == .accept)
    }

    @Test func anExampleThatRepeatsOneFigureIsNoExample() {
        let check = ArithmeticCheck(rules: [], exampleLeaves: [LeafGlob("*/explain_term_plainly")])
        let circular = check.verify(CandidateText(leafPath: "c/explain_term_plainly", flow: .freeformSkill, question: "What is return on assets?",
            answer: "Return on assets is net income divided by total assets.\n\nExample: A company with 100% return on assets will earn 100% return on assets, which is 100% of its profits.",
            context: nil))
        #expect(circular?.reason == "a worked example does not add up", "\(String(describing: circular))")
        let worked = check.verify(CandidateText(leafPath: "c/explain_term_plainly", flow: .freeformSkill, question: "What is return on assets?",
            answer: "Return on assets is net income divided by total assets.\n\nExample: net income of $5 million on assets of $50 million gives a return on assets of 10%.",
            context: nil))
        #expect(worked?.decision != .reject, "\(String(describing: worked))")
    }

    @Test func aLiftedSentenceAboutItem9ADoesNotAnswerAQuestionAboutItem9C() {
        let sentence = "Item 9A reports management's conclusions about the effectiveness of the company's disclosure controls and procedures."
        let check = AnswersQuestionCheck()
        #expect(check.verify(CandidateText(leafPath: "k", flow: .knowledge, question: "What is the item 9C of Item 9A?", answer: sentence,
                                           context: sentence + " Item 9B covers other information."))?.reason == "the question names a figure its answer does not")
        #expect(check.verify(CandidateText(leafPath: "k", flow: .knowledge, question: "What does Item 9A report?", answer: sentence,
                                           context: sentence + " Item 9B covers other information."))?.decision == .accept)
    }

    @Test func aQuestionFoldedOntoItselfOrAboutYourTextIsRejected() {
        let check = SelfContainedCheck()
        let context = "| | Six months ended Jun 30, 2025 |\n|---|---|\n| Capital expenditures | (188.5) |"
        #expect(check.verify(CandidateText(leafPath: "t", flow: .groundedSkill,
            question: "What is the actual value of the value of the asset Redfern Freight used for capital expenditures in the first half of 2025?",
            answer: "$188.5 million", context: context))?.reason == "question repeats itself")
        #expect(check.verify(CandidateText(leafPath: "s", flow: .groundedSkill, question: "What is the summary of your text?", answer: "x", context: context))?.reason
                == "question is about the prompt, not the subject")
        // Accepted in a 2026-12-07 run: a phrase measured by itself.
        let gaap = "GAAP measures are prepared under the accounting rules set by the Financial Accounting Standards Board."
        #expect(check.verify(CandidateText(leafPath: "k", flow: .knowledge, question: "What type of GAAP measures are used to measure GAAP measures?",
                                           answer: gaap, context: gaap))?.reason == "question is circular")
        let flows = "Free cash flow is operating cash flow minus capital expenditures."
        #expect(check.verify(CandidateText(leafPath: "k", flow: .knowledge, question: "How is free cash flow calculated from operating cash flow?",
                                           answer: flows, context: flows))?.reason != "question is circular")
        // gen2-s101-281 (generated2.jsonl): a filing passage is not an article.
        let passage = "Companies usually announce results in a press release and then hold a conference call with analysts."
        #expect(check.verify(CandidateText(leafPath: "k", flow: .knowledge, question: "What is the headline of the article?", answer: passage,
                                           context: passage))?.reason == "knowledge question points at the text instead of its subject")
        #expect(check.verify(CandidateText(leafPath: "s", flow: .groundedSkill, question: "What is the main main point of this paragraph?", answer: "x",
                                           context: context))?.reason == "question repeats itself")
        let adjusted = "Non-GAAP measures are the company's own adjusted versions."
        #expect(AnswersQuestionCheck().verify(CandidateText(leafPath: "k", flow: .knowledge, question: "What are non-GAAP measures?", answer: adjusted,
                                                            context: "GAAP figures come first. " + adjusted))?.reason == "a passage sentence that leans on its neighbours")
    }

    @Test func aListBulletBeforeAQuestionIsDropped() {
        // gen2-s101-500 (generated2.jsonl): accepted with its bullet.
        #expect(ReplyParser.question.parse("- A company with revenue of $600 million wants to reach $1 billion in six years. What CAGR does it need?")?["question"]
                == "A company with revenue of $600 million wants to reach $1 billion in six years. What CAGR does it need?")
        #expect(ReplyParser.question.parse("* What is a 10-K?")?["question"] == "What is a 10-K?")
        #expect(ReplyParser.question.parse("-5% growth in a year: what was revenue before?")?["question"] == "-5% growth in a year: what was revenue before?")
    }

    @Test func aQuotedQuestionCutAtItsMarkLosesItsOpeningQuote() {
        #expect(ReplyParser.question.parse("\"What is the format of the Form 10-Q report?\" is a good question.")?["question"] == "What is the format of the Form 10-Q report?")
        #expect(ReplyParser.question.parse("\"What is a 'material weakness'?")?["question"] == "\"What is a 'material weakness'?")
    }
}

@Suite struct Leaks {
    let check = LeakCheck(templates: ["Task: {{ task_description }}\nWrite one new, different question for this task. Reply with the question only."],
                          leafTexts: [:])

    @Test(arguments: [
        ("An example question for this task: what is EBITDA?", "It is earnings before interest."),
        ("What is EBITDA?", "Question: What is EBITDA? Answer: earnings."),
        ("S: What is the current ratio?", "Current assets divided by current liabilities."),
        ("Write one new, different question about margins?", "Margins are ratios."),
    ])
    func scaffoldingIsRejected(question: String, answer: String) {
        let finding = check.verify(CandidateText(leafPath: "l", flow: .freeformSkill, question: question, answer: answer, context: nil))
        #expect(finding?.decision == .reject, "\(String(describing: finding))")
    }

    @Test func anExampleParagraphInAnAnswerIsNotScaffolding() {
        let finding = check.verify(CandidateText(leafPath: "l", flow: .freeformSkill, question: "What is free cash flow?",
                                                 answer: "Cash from operations minus capital expenditures.\n\nExample: 500 - 180 = 320.", context: nil))
        #expect(finding?.decision == .accept)
    }
}

@Suite struct Tables {
    let context = """
        Brightwater Foods, Inc.
        (in millions of U.S. dollars, except per-share amounts)

        | | Three months ended Sep 30, 2025 | Three months ended Sep 30, 2024 |
        |---|---|---|
        | Net sales | 2,418.6 | 2,301.2 |
        | Operating income | 287.5 | 256.8 |
        | Net income | 201.3 | 178.4 |
        | Diluted earnings per share | 1.62 | 1.41 |
        """

    func verify(_ question: String, _ answer: String) -> Finding? {
        NumberSupportCheck().verify(CandidateText(leafPath: "t", flow: .groundedSkill, question: question, answer: answer, context: context))
    }

    @Test func theCellAtTheNamedRowAndPeriodIsAccepted() {
        #expect(verify("What was operating income for the three months ended September 30, 2024?",
                       "Operating income was $256.8 million for the three months ended September 30, 2024.")?.decision == .accept)
        #expect(verify("What were diluted earnings per share in the quarter ended Sep 30, 2025?", "Diluted EPS was $1.62.")?.decision == .accept)
    }

    @Test func theOtherPeriodAndTheNeighbouringRowAreRejected() {
        // 287.5 is the 2025 column's operating income.
        #expect(verify("What was operating income for the three months ended September 30, 2024?",
                       "Operating income was $287.5 million.")?.reason == "value from another period of the table")
        #expect(verify("What was operating income for the three months ended September 30, 2024?",
                       "Operating income was $178.4 million.")?.decision == .reject)
    }

    @Test func theTablesScaleMustBeKept() {
        #expect(verify("What was net income for the three months ended Sep 30, 2025?", "Net income was $201.3 thousand.")?.decision == .reject)
        #expect(verify("What was net income for the three months ended Sep 30, 2025?", "Net income was $0.2013 billion.")?.decision == .accept)
    }
}

@Suite struct Claims {
    let passage = """
        Kestrel Precision reported a net loss of $12.7 million, or $0.23 per share, compared with net income of $31.4 million \
        a year earlier. Most companies publish the release outside trading hours, after the market closes. Form 10-Q \
        financial statements are unaudited but reviewed by the auditor.
        """

    func verify(_ answer: String) -> Finding? {
        ClaimGroundingCheck().verify(CandidateText(leafPath: "k", flow: .knowledge, question: "What did the company report?", answer: answer, context: passage))
    }

    @Test func aSupportedAnswerIsAccepted() {
        #expect(verify("Kestrel Precision reported a net loss of $12.7 million, or $0.23 per share.")?.decision == .accept)
    }

    @Test(arguments: [
        "Kestrel Precision reported net income of $12.7 million, or $0.23 per share.",
        "Most companies publish the release during trading hours.",
        "Form 10-Q financial statements are audited by the auditor.",
        "Kestrel Precision reported a net loss of $12.7 million. The company opened three new factories in Ohio last quarter.",
    ])
    func aFalseSentenceIsRejectedEvenAfterATrueOne(answer: String) {
        #expect(verify(answer)?.decision == .reject, "\(String(describing: verify(answer)))")
    }
}

@Suite struct Definitions {
    let glossary = Glossary(version: 1, terms: [
        .init(term: "EBITDA", aliases: ["ebitda"], expansion: "earnings before interest, taxes, depreciation and amortization",
              requires: [["interest"], ["tax"], ["depreciat"], ["amortiz"]], forbids: nil),
    ])

    func verify(_ question: String, _ answer: String, strict: Bool = true) -> Finding? {
        DefinitionCheck(glossary: glossary, strictLeaves: strict ? [LeafGlob("*")] : [])
            .verify(CandidateText(leafPath: "explain", flow: .freeformSkill, question: question, answer: answer, context: nil))
    }

    @Test func aCompleteDefinitionIsAcceptedAndAnIncompleteOneIsNot() {
        #expect(verify("What is EBITDA?", "EBITDA is earnings before interest, taxes, depreciation and amortization.")?.decision == .accept)
        let wrong = verify("What is EBITDA?", "EBITDA stands for Earnings Before Interest and Taxes.")
        #expect(wrong?.decision == .reject && wrong?.evidence["term"] == "EBITDA")
    }

    @Test func aTermOutsideTheGlossaryCannotBeCheckedOnAStrictLeaf() {
        #expect(verify("What is a zero-coupon bond?", "A bond that pays no interest.")?.reason == "term not in the glossary: its definition cannot be checked")
        #expect(verify("What is a zero-coupon bond?", "A bond that pays no interest.", strict: false) == nil)
    }

    @Test func aQuestionAskingForAValueIsNotADefinitionQuestion() {
        #expect(DefinitionCheck.asksMeaning("What is EBITDA?", alias: "ebitda"))
        #expect(!DefinitionCheck.asksMeaning("What is the EBITDA of a company with operating income of $80 million?", alias: "ebitda"))
    }

    /// Answers a 135M teacher wrote from the shipped glossary's definition (generation run, 2026-12-06).
    @Test func anExplanationWrittenFromADefinitionSaysNothingElseBesideItsExamples() throws {
        let shipped = try Glossary.load(from: TestPaths.repositoryRoot.appendingPathComponent("pipelines/glossary.yaml"))
        func check(_ question: String, _ answer: String) throws -> Finding? {
            let term = try #require(shipped.terms(namedIn: question).first?.term)
            return DefinitionCheck(glossary: shipped, strictLeaves: [LeafGlob("*")]).verify(CandidateText(
                leafPath: "explain", flow: .freeformSkill, question: question, answer: answer, context: nil, reference: term.definition))
        }
        let wrong = try check("What is the annual percentage yield? Explain it in plain words.", """
            The annual percentage yield is the interest earned on an account, which is interest added to the account's balance.             It is calculated by multiplying the interest by the number of times interest is compounded. It is a way to calculate             how much money is made from a business's operations, but it does not take into account the money that is paid to keep the business running.
            """)
        #expect(wrong?.decision == .reject && wrong?.reason == "the explanation says what its reference definition does not")
        #expect(try check("What is a liability? Keep it simple.",
                          "A liability is an amount a company owes to someone else, such as a loan from a lender or a bill from a supplier.")?.decision == .accept)
        #expect(try check("What is an asset? Explain it in plain words.", """
            A simple explanation of what an asset is: An asset is something a company owns or controls that has value, such as cash, inventory, machines, or buildings.
            """)?.decision == .accept)
        // A sentence with one figure computes nothing: it is held to the definition like prose.
        #expect(try check("What is return on assets?", """
            A return on assets is net income divided by total assets, in percent. \
            Example: a return on assets of 5% means the shares will double in price next year.
            """)?.decision == .reject)
        // A worked example is the arithmetic check's, not held to the definition's words.
        #expect(try check("What is a liability? Keep it simple.", """
            A liability is an amount a company owes to someone else, such as a loan from a lender.             Example: a shop that borrows $5,000 and buys $2,000 of stock on credit has liabilities of $7,000.
            """)?.decision == .accept)
        // Without a reference (a question the teacher wrote) only the glossary's components are checked,
        // which the wrong answer has: the reference is what catches it.
        let unreferenced = DefinitionCheck(glossary: shipped, strictLeaves: [LeafGlob("*")]).verify(CandidateText(
            leafPath: "explain", flow: .freeformSkill, question: "What is the annual percentage yield? Explain it in plain words.",
            answer: "The annual percentage yield is the interest earned on an account in a year, including compound interest. It is calculated by multiplying the interest by the number of times interest is compounded.",
            context: nil))
        #expect(unreferenced?.decision == .accept)
    }

    /// Accepted answers of the 135M teacher (blind-labelled set generated2.jsonl, ids gen2-s202-359 and
    /// gen2-s202-312): right, but the leaf's task asks for a small numeric example and they have none.
    @Test func onAnExampleLeafAnExplanationWithoutAWorkedExampleIsIncomplete() throws {
        let shipped = try Glossary.load(from: TestPaths.repositoryRoot.appendingPathComponent("pipelines/glossary.yaml"))
        let check = DefinitionCheck(glossary: shipped, strictLeaves: [LeafGlob("*/explain_term_plainly")],
                                    exampleLeaves: [LeafGlob("*/explain_term_plainly")])
        func verify(_ leaf: String, _ question: String, _ answer: String) -> Finding? {
            check.verify(CandidateText(leafPath: leaf, flow: .freeformSkill, question: question, answer: answer, context: nil))
        }
        let leaf = "compositional_skills/finance/explain_term_plainly"
        let bare = "Retained earnings is the profit a company has kept over the years rather than paid out to shareholders as dividends."
        let missing = verify(leaf, "What does retained earnings mean?", bare)
        #expect(missing?.decision == .reject && missing?.reason == "the leaf asks for a numeric example and the answer has none")
        // One figure computes nothing, nor do two named side by side (an accepted NPV answer of a 2026-12-08 run).
        #expect(verify(leaf, "What does retained earnings mean?", bare + " A company may keep 40% of its profit.")?.decision == .reject)
        #expect(verify(leaf, "What does retained earnings mean?", bare + " Example: a company sells a bond with a 5% interest rate and pays a 10% interest.")?.reason
                == "the leaf asks for a numeric example and the answer has none")
        let worked = bare + " Example: a company that earns $10 million and pays $4 million in dividends adds $6 million to retained earnings."
        #expect(verify(leaf, "What does retained earnings mean?", worked)?.decision == .accept)
        #expect(verify(leaf, "What does retained earnings mean?", bare + " So $10 million - $4 million = $6 million.")?.decision == .accept)
        // A formula is not an example.
        #expect(verify(leaf, "What does retained earnings mean?", bare + " Retained earnings = net income - dividends.")?.reason
                == "the leaf asks for a numeric example and the answer has none")
        // Other leaves are not held to it.
        #expect(verify("knowledge/finance/financial_ratios", "What does retained earnings mean?", bare)?.decision != .reject)
    }

    @Test func theShippedGlossaryLoads() throws {
        let glossary = try Glossary.load(from: TestPaths.repositoryRoot.appendingPathComponent("pipelines/glossary.yaml"))
        #expect(glossary.terms.count >= 100)
        #expect(glossary.terms(namedIn: "What is the EBITDA margin?").first?.term.term == "EBITDA")
    }
}

@Suite struct OnLeaf {
    @Test func aCAGRQuestionFiledUnderPercentChangeIsRejected() {
        let check = OnLeafCheck(profiles: [
            LeafProfile(path: "percent_change", flow: .freeformSkill, text: "Solve percent-change problems. Revenue grew from 48 to 55.2. What is the percent change?"),
            LeafProfile(path: "cagr", flow: .freeformSkill, text: "Compute compound annual growth rates (CAGR). Revenue grew from 250 in 2020 to 410 in 2024. What was the compound annual growth rate?"),
        ])
        let question = "Sales grew from $100 million in 2018 to $160 million in 2023. What was the compound annual growth rate?"
        let misfiled = check.verify(CandidateText(leafPath: "percent_change", flow: .freeformSkill, question: question, answer: "", context: nil))
        #expect(misfiled?.decision == .reject && misfiled?.evidence["closest_other"] == "cagr")
        #expect(check.verify(CandidateText(leafPath: "cagr", flow: .freeformSkill, question: question, answer: "", context: nil))?.decision == .accept)
    }
}

@Suite struct ComputedAnswers {
    let check = ArithmeticCheck(rules: [
        (LeafGlob("*/percent_change"), [.percentChange, .percentagePoints, .reversePercent]),
        (LeafGlob("*/cagr"), [.cagr, .futureValue]),
        (LeafGlob("*/unit_scaling"), [.scale]),
    ])

    @Test(arguments: [
        ("cagr", "Revenue grew from $250 million in 2020 to $410 million in 2024. What was the compound annual growth rate?", "13.2%"),
        ("cagr", "A company's diluted EPS rose from $1.80 to $3.10 over five years. Calculate the CAGR.", "11.5%"),
        ("cagr", "If revenue of $500 million grows at 8% a year for three years, what will revenue be?", "629.9"),
        ("percent_change", "Net income fell from $12.5 million last year to $9.8 million this year. What is the percent change?", "21.6%"),
        ("percent_change", "A retailer's operating margin rose from 12% to 15%. How many percentage points is that?", "3"),
        ("percent_change", "This year's revenue is $630 million, up 5% from last year. What was last year's revenue?", "600"),
        ("unit_scaling", "A balance sheet says \"(in thousands)\" and lists net income of 38,460. How much is that in dollars and in millions?", "38,460,000"),
    ])
    func aComputedAnswerStatesTheResultAndPassesTheArithmeticVerifier(leaf: String, question: String, expected: String) throws {
        let operations = check.operations(for: "skills/\(leaf)")
        let answer = try #require(WorkedAnswers.answer(question, operations: operations), "no computation for \(question)")
        #expect(answer.text.contains(expected), "\(answer.text)")
        let finding = check.verify(CandidateText(leafPath: "skills/\(leaf)", flow: .freeformSkill, question: question, answer: answer.text, context: nil))
        #expect(finding?.decision == .accept, "\(String(describing: finding))\n\(answer.text)")
    }

    @Test func aGrowthRateBetweenALevelAndAFlowPerYearIsNotAccepted() {
        let question = "The company with revenue of $600 million calculates its Revenue-to-Cost CAGR in 2 years at $100 million per year. What CAGR does it need?"
        let answer = "CAGR = (ending value / beginning value)^(1 / years) - 1.\n\n1. Ratio: 100 / 600 = 0.1667.\n2. Root: 0.1667^(1/2) = 0.4083.\n3. Subtract 1: 0.4083 - 1 = -0.5917, or -59.17%.\n\nThe CAGR is about -59.2%."
        let finding = check.verify(CandidateText(leafPath: "skills/cagr", flow: .freeformSkill, question: question, answer: answer, context: nil))
        #expect(finding?.decision == .reject && finding?.reason == "question lacks the figures to compute", "\(String(describing: finding))")
        // The same working on two levels is right.
        let levels = "Revenue fell from $600 million in 2022 to $100 million in 2024. What was the CAGR?"
        #expect(check.verify(CandidateText(leafPath: "skills/cagr", flow: .freeformSkill, question: levels, answer: answer, context: nil))?.decision == .accept)
    }

    /// gen2-s101-527 (generated2.jsonl): Q2 2022 to Q3 2023 is five quarters, not one year.
    @Test func aSpanBetweenQuartersIsCountedInQuarters() {
        let question = "A cable operator's subscribers decreased from 2.4 million in Q2 2022 to 1.9 million in Q3 2023. What is the CAGR?"
        #expect(QuestionFigures(question).periods == [1.25])
        #expect(QuestionFigures("Sales rose from $10 million in the first quarter of 2021 to $14 million in the third quarter of 2023.").periods == [2.5])
        #expect(QuestionFigures("Revenue grew from $250 million in 2020 to $410 million in 2024.").periods == [4])
        #expect(WorkedAnswers.answer(question, operations: [.cagr]) == nil)
        // "quarterly", "headquartered" and a single dated quarter leave the calendar years' span.
        #expect(QuestionFigures("A headquartered retailer's quarterly dividend rose from $0.50 in 2019 to $0.80 in 2023.").periods == [4])
        #expect(QuestionFigures("Revenue grew from $250 million in 2020 to $410 million in Q2 2024.").periods == [4])
        #expect(QuestionFigures("Sales were $3 million in Q3 of 2022 and $4 million in Q1 of 2023.").periods == [0.5])
        let oneYear = "CAGR = (ending value / beginning value)^(1 / years) - 1.\n\n1. Ratio: 1.9 / 2.4 = 0.7917.\n2. Subtract 1: 0.7917 - 1 = -0.2083, or -20.83%.\n\nThe CAGR is about -20.8%."
        let finding = check.verify(CandidateText(leafPath: "skills/cagr", flow: .freeformSkill, question: question, answer: oneYear, context: nil))
        #expect(finding?.decision == .reject && finding?.reason == "final figure does not match the recomputed result", "\(String(describing: finding))")
    }

    /// A level "a year ago" is still a level: its percent change is computed.
    @Test func aValueOfAYearAgoIsALevelNotAFlow() throws {
        let question = "Revenue is $630 million now against $600 million a year ago. What is the percent change?"
        #expect(QuestionFigures(question).amounts.allSatisfy { !$0.perPeriod })
        #expect(QuestionFigures("Costs run at $40 million a year.").amounts.first?.perPeriod == true)
        #expect(QuestionFigures("It pays $2 per year in dividends.").amounts.first?.perPeriod == true)
        #expect(QuestionFigures("EPS was $5 a share.").amounts.first?.perPeriod == false)
    }

    @Test func aQuestionWithoutOneComputationGetsNoAnswer() {
        #expect(WorkedAnswers.answer("What is the CAGR of 3.10?", operations: [.cagr]) == nil)
        #expect(WorkedAnswers.answer("Why do companies grow?", operations: [.percentChange]) == nil)
        // gen2-s101-405 (generated2.jsonl): a level and a flow per year are not two values of one quantity.
        #expect(WorkedAnswers.answer("The company with revenue of $600 million calculates its Revenue-to-Cost CAGR in 2 years at $100 million per year. What CAGR does it need?",
                                     operations: [.cagr]) == nil)
        #expect(WorkedAnswers.answer("Revenue was $90 million in 2020 and reached $40 million a year by 2024. What is the percent change?",
                                     operations: [.percentChange]) == nil)
        // Levels at two dates still are.
        #expect(WorkedAnswers.answer("A company with revenue of $600 million wants to reach $1 billion in six years. What CAGR does it need?",
                                     operations: [.cagr]) != nil)
    }

    @Test func aTableQuestionIsAnsweredFromItsCellWithTheTablesScale() throws {
        let context = "Brightwater Foods, Inc.\n(in millions of U.S. dollars)\n\n| | Three months ended Sep 30, 2025 | Three months ended Sep 30, 2024 |\n|---|---|---|\n| Operating income | 287.5 | 256.8 |\n| Net income | 201.3 | 178.4 |"
        let answer = try #require(TableAnswers.answer("What was operating income for the three months ended September 30, 2024?", context: context))
        #expect(answer.text.contains("$256.8 million"), "\(answer.text)")
        let finding = NumberSupportCheck().verify(CandidateText(leafPath: "t", flow: .groundedSkill,
            question: "What was operating income for the three months ended September 30, 2024?", answer: answer.text, context: context))
        #expect(finding?.decision == .accept, "\(String(describing: finding))")
    }

    /// Read in a fresh run: "Alder Point Medical, Inc. reported devices of $902 million for the fiscal 2025."
    @Test func aSegmentRowIsNamedAsASegmentAndANamedPeriodTakesNoArticle() throws {
        let context = """
            Alder Point Medical, Inc.
            Revenue by segment
            (in millions of U.S. dollars; fiscal years end on March 31)

            | Segment | Fiscal 2026 | Fiscal 2025 |
            |---|---|---|
            | Diagnostics | 1,204 | 1,117 |
            | Devices | 866 | 902 |
            """
        let answer = try #require(TableAnswers.answer("What revenue did the Devices segment generate in fiscal 2025?", context: context))
        #expect(answer.text == "Alder Point Medical, Inc.'s Devices segment reported revenue of $902 million for fiscal 2025.")
        #expect(TableAnswers.periodPhrase("Fiscal 2025") == "for fiscal 2025")
        #expect(TableAnswers.periodPhrase("Three months ended Sep 30, 2024") == "for the three months ended Sep 30, 2024")
        #expect(TableAnswers.periodPhrase("Dec 31, 2025") == "at Dec 31, 2025")
        #expect(TableAnswers.periodPhrase("Q3 2025") == "for Q3 2025")
    }
}
